/**
 * Docker's multiplexed stream (stdcopy): an 8-byte header (stream 1 or 2, then the payload's length,
 * big-endian) before every frame. With timestamps Docker sends one frame per record, so a 64 KB read
 * holds ~800 frames; docker-modem's demuxStream copies the rest of its buffer after every frame
 * (quadratic in frames per read: ~90,000 lines/s measured in bench/logs-ingest.ts) and recurses once per
 * frame. This walks a read by offset and copies only a frame cut by the read's end.
 */
export class FrameReader {
  private carry: Buffer | undefined;

  constructor(private readonly onFrame: (stream: 'stdout' | 'stderr', payload: Buffer) => void) {}

  write(chunk: Buffer): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    let pos = 0;
    while (buf.length - pos >= 8) {
      const type = buf[pos];
      // stdin (0) never comes back from the logs endpoint; anything else is not a frame header.
      if (type !== 1 && type !== 2) throw new Error(`not a multiplexed log stream (header byte ${type})`);
      const len = buf.readUInt32BE(pos + 4);
      if (buf.length - pos - 8 < len) break;
      this.onFrame(type === 2 ? 'stderr' : 'stdout', buf.subarray(pos + 8, pos + 8 + len));
      pos += 8 + len;
    }
    if (pos < buf.length) this.carry = Buffer.from(buf.subarray(pos));
  }

  /** Bytes of a frame the stream ended in the middle of (a cut connection): never a record. */
  get pending(): number { return this.carry?.length ?? 0; }
}
