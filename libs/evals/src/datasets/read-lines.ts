import { createReadStream } from 'node:fs';

/**
 * Lines of a UTF-8 text file, read with backpressure: a chunk is read only when the consumer has taken
 * the lines before it. (readline's async iterator queues lines as fast as the disk delivers them, which
 * for a 100,000-item dataset means holding the whole file while the run works through it.)
 */
export async function* readLines(file: string): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 64 * 1024 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      yield text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      start = end + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') {
    yield rest;
  }
}
