import type { AccessLogPage, PatientCommentList, PortalDocument, PortalDocumentList, PortalMe } from '@haven/contracts';
import { api, apiBase } from '../../lib/api';

/*
 * The portal's requests. Every one answers for the signed-in patient only: the server takes the
 * patient from the session, never from the address, so no id travels in these paths.
 */

/** Query keys of the portal pages, in one place so that a change refreshes what shows it. */
export const portalKeys = {
  all: ['portal'] as const,
  me: ['portal', 'me'] as const,
  documents: ['portal', 'documents'] as const,
  comments: ['portal', 'comments'] as const,
  accessLog: ['portal', 'access-log'] as const,
};

export const fetchPortalMe = (): Promise<PortalMe> => api.get<PortalMe>('/portal/me');
export const fetchPortalDocuments = (): Promise<PortalDocumentList> => api.get<PortalDocumentList>('/portal/documents');
export const fetchPortalComments = (): Promise<PatientCommentList> => api.get<PatientCommentList>('/portal/comments');
export const fetchAccessLog = (cursor: string | null): Promise<AccessLogPage> =>
  api.get<AccessLogPage>('/portal/access-log', { cursor });

/** A shared document's bytes: a plain link, so the browser downloads it with the session cookie. */
export const portalDocumentUrl = (document: Pick<PortalDocument, 'id'>): string => `${apiBase}/portal/documents/${encodeURIComponent(document.id)}/content`;
