import { version } from '../package.json';

/** Faultline's version, from package.json (inlined by the bundler). */
export const VERSION: string = version;
