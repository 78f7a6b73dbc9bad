import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SimulateError } from '../simulate/errors.js';

/**
 * Fails fast, before minutes of simulation, when `--out` cannot be written:
 * its directory is missing, is not a directory, or is read-only, or the path
 * itself is a directory or a read-only file.
 *
 * @example
 * checkOutFile('/nonexistent/r.html'); // throws FG_SIM_OUT_UNWRITABLE
 */
export function checkOutFile(path: string): void {
  const full = resolve(path);
  const directory = dirname(full);
  const unwritable = (why: string): SimulateError =>
    new SimulateError('FG_SIM_OUT_UNWRITABLE', `--out ${path}: ${why}; nothing was simulated`);
  const directoryStat = statSync(directory, { throwIfNoEntry: false });
  if (directoryStat === undefined) {
    throw unwritable(`directory ${directory} does not exist (create it, or write the report somewhere else)`);
  }
  if (!directoryStat.isDirectory()) throw unwritable(`${directory} is not a directory`);
  const fileStat = statSync(full, { throwIfNoEntry: false });
  if (fileStat?.isDirectory()) throw unwritable(`${full} is a directory; give a file name ending in .html`);
  try {
    accessSync(fileStat ? full : directory, constants.W_OK);
  } catch {
    throw unwritable(`${fileStat ? full : `directory ${directory}`} is not writable`);
  }
}

/** Writes the report; a failure the early check could not foresee (disk full, a race) is still a coded error. */
export function writeOutFile(path: string, html: string): void {
  try {
    writeFileSync(path, html);
  } catch (error) {
    throw new SimulateError('FG_SIM_OUT_UNWRITABLE', `--out ${path}: ${(error as Error).message}`);
  }
}
