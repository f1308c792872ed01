import type { useTranslation } from 'react-i18next';
import type { PatientCommentKind, PatientCommentView } from '@haven/contracts';
import en from '../../i18n/en.json';
import { plainT } from '../../lib/errors';

type T = ReturnType<typeof useTranslation>['t'];

// A plain `t` (the TS2589 note in docs/roadmap.md); these records make a missing label a type error instead.
const labelled: [Record<PatientCommentKind, string>, Record<PatientCommentView['status'], string>] = [en.comments.kinds, en.comments.status];
void labelled;

/** "Comment" or "Correction request": the same words on the portal and on the practice's patient page. */
export const commentKindLabel = (t: T, kind: PatientCommentKind): string => plainT(t)(`comments.kinds.${kind}`);
export const commentStatusLabel = (t: T, status: PatientCommentView['status']): string => plainT(t)(`comments.status.${status}`);
