import { execFile } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

/**
 * Named pipes through which the engine reads an insert's data (`FROM INFILE`): the data streams
 * from this process's memory into the engine and never rests on disk.
 */

/** Creates a FIFO only its owner can open. */
export async function makeFifo(path: string): Promise<void> {
  await promisify(execFile)('mkfifo', ['-m', '600', path]);
}

/**
 * The FIFO's write end, once the engine has opened it for reading (until then opening it without
 * blocking fails with ENXIO, and opening it blocking would hold a thread); undefined when the
 * statement ended without reading, e.g. an unknown table.
 */
export async function openFifoWriter(fifo: string, finished: () => boolean): Promise<Socket | undefined> {
  for (;;) {
    if (finished()) return undefined;
    try {
      const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      return new Socket({ fd, readable: false, writable: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
    }
    await sleep(1);
  }
}
