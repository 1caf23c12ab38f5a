export type CheckName =
  'parse' | 'fmt' | 'interpolation' | 'reference' | 'module-call' | 'schema' | 'template';

/** One thing wrong with generated code. `file` is relative to the folder given to `verifyTree`. */
export interface Problem {
  file: string;
  line?: number;
  check: CheckName;
  message: string;
}
