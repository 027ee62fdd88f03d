/**
 * Reads the V8 CPU profiles (`node --cpu-prof`) the workers write when `--cpu-profile <dir>` is given,
 * and attributes their self time to packages and Gatehouse libraries, so a figure like "3.5 ms of worker
 * CPU per item" can be split into BullMQ, TypeORM, pg, the OpenAI SDK, the engine, GC…
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: an npm package, a Gatehouse lib or app, Node itself, or a V8 pseudo-frame. */
function bucketOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) {
    return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  }
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const gatehouse = /dist\/(libs|apps)\/([^/]+)\/src\/(?:([^/]+)\/)?/.exec(url);
  if (gatehouse) {
    return `gatehouse ${gatehouse[1]}/${gatehouse[2]}${gatehouse[3] && !gatehouse[3].endsWith('.js') ? `/${gatehouse[3]}` : ''}`;
  }
  const bundled = /^node:internal\/deps\/([^/]+)/.exec(url);
  if (bundled) {
    return `node:deps/${bundled[1]}`; // undici (fetch) and the other libraries bundled with Node
  }
  if (url.startsWith('node:')) {
    const internal = /^node:(?:internal\/)?([^/]+)/.exec(url);
    return `node:${internal?.[1] ?? url}`;
  }
  return url;
}

const isPackageCode = (url: string) =>
  url.includes('node_modules/') || url.startsWith('node:internal/deps/') || /dist\/(libs|apps)\//.test(url);

export interface Bucket {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  files: number;
  /** Milliseconds of samples that were not idle. */
  busyMs: number;
  /** Self time by where the sampled frame's own code lives (native calls and Node internals apart). */
  self: Bucket[];
  /**
   * Self time charged to the nearest package or Gatehouse frame on the stack: the socket writes, streams
   * and timers a library causes count as that library's.
   */
  owner: Bucket[];
}

function toBuckets(totals: Map<string, number>, busyMs: number): Bucket[] {
  return [...totals]
    .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

/** Sums the samples of every profile in `dir`, by own code and by owning package. */
export function summariseProfiles(dir: string): ProfileSummary {
  const self = new Map<string, number>();
  const owner = new Map<string, number>();
  let files = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    files += 1;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) {
      node.children?.forEach((child) => parent.set(child, node.id));
    }
    const owners = new Map<number, string>();
    const ownerOf = (id: number): string => {
      const known = owners.get(id);
      if (known !== undefined) {
        return known;
      }
      const node = byId.get(id);
      const up = parent.get(id);
      const found = !node
        ? '(unknown)'
        : isPackageCode(node.callFrame.url) || up === undefined
          ? bucketOf(node)
          : ownerOf(up);
      owners.set(id, found);
      return found;
    };
    profile.samples.forEach((id, i) => {
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      const node = byId.get(id);
      const bucket = node ? bucketOf(node) : '(unknown)';
      self.set(bucket, (self.get(bucket) ?? 0) + ms);
      const charged =
        bucket === '(idle)' || bucket === '(garbage collector)' || bucket === '(program)'
          ? bucket
          : ownerOf(id);
      owner.set(charged, (owner.get(charged) ?? 0) + ms);
    });
  }
  self.delete('(idle)');
  owner.delete('(idle)');
  const busyMs = [...self.values()].reduce((a, b) => a + b, 0);
  return { files, busyMs, self: toBuckets(self, busyMs), owner: toBuckets(owner, busyMs) };
}
