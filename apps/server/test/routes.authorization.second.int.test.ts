import { defineMatrix } from './authorization-matrix.ts';

/** The authorization matrix, second half (see ./authorization-matrix.ts and routes.authorization.int.test.ts). */
defineMatrix({ index: 1, count: 2 });
