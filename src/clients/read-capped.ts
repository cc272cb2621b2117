// Reads a response body up to a byte limit, so that no upstream (or token server) can make the
// gateway hold an answer of any size in memory.
import type { Dispatcher } from 'undici';

interface CappedText {
  text: string;
  /** The body was longer than the limit: `text` holds its first bytes and the rest was dropped. */
  exceeded: boolean;
}

/** Reads at most `max` bytes; past that the body is destroyed, so no answer is held whole. */
export async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<CappedText> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > max) {
      chunks.push(buf.subarray(0, max - size));
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), exceeded: true };
    }
    size += buf.length;
    chunks.push(buf);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), exceeded: false };
}
