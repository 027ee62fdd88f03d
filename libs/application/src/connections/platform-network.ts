import { type GatehouseConfig } from '@gatehouse/config';
import { createLightFetch, EgressPolicy, type FetchLike } from '@gatehouse/evals';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InjectConfig } from '../gatehouse-config.module';

const MODULE_FILE = /^([a-z0-9][a-z0-9._-]{0,79})\.c?js$/;

/**
 * What the platform's evaluation calls may reach: the egress policy (checked when a connection is saved
 * and on every socket), one egress-checked, size-capped fetch for every target and judge, and the
 * operator's LangChain modules, registered by name from their folder at start.
 */
@Injectable()
export class PlatformNetwork implements OnApplicationShutdown {
  private readonly logger = new Logger(PlatformNetwork.name);
  readonly policy: EgressPolicy;
  readonly modules: ReadonlyMap<string, string>;
  private dispatcher: ReturnType<EgressPolicy['dispatcher']> | null = null;
  private guardedFetch: FetchLike | null = null;

  constructor(@InjectConfig() private readonly config: GatehouseConfig) {
    // The published name is refused on any port; a loopback one (the default, http://localhost:PORT) is
    // left to the port check, so a model server on another local port can still be allowed.
    const published = URL.canParse(config.http.publicUrl) ? new URL(config.http.publicUrl).hostname : '';
    const selfHost = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(published) ? '' : published;
    this.policy = new EgressPolicy({
      allow: config.targets.egressAllow,
      selfPorts: [config.http.port, config.worker.port].filter((port) => port > 0),
      selfHosts: selfHost ? [selfHost] : [],
    });
    this.modules = this.registerModules(config.targets.langchainModulesDir);
  }

  /** The fetch platform targets and judges call with; built on first use. */
  get fetch(): FetchLike {
    if (!this.guardedFetch) {
      this.dispatcher = this.policy.dispatcher();
      this.guardedFetch = createLightFetch({
        dispatcher: this.dispatcher,
        maxResponseBytes: this.config.targets.maxResponseBytes,
        strict: true,
      });
    }
    return this.guardedFetch;
  }

  get maxResponseBytes(): number {
    return this.config.targets.maxResponseBytes;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher?.close();
  }

  private registerModules(dir: string | null): ReadonlyMap<string, string> {
    const modules = new Map<string, string>();
    if (!dir) {
      return modules;
    }
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch (error) {
      this.logger.warn(
        `GATEHOUSE_LANGCHAIN_MODULES_DIR ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): no LangChain modules are registered`,
      );
      return modules;
    }
    for (const file of files.sort()) {
      const match = MODULE_FILE.exec(file);
      if (match && !modules.has(match[1])) {
        modules.set(match[1], join(dir, file));
      }
    }
    this.logger.log(
      `LangChain modules registered from ${dir}: ${modules.size ? [...modules.keys()].join(', ') : 'none'}`,
    );
    return modules;
  }
}
