/**
 * The error catalogue: every error the API can return, with its HTTP status.
 * Codes are stable (clients and translations key on them); messages here are the
 * user-safe English defaults. `docs/errors.md` is kept in step by a test.
 */
export const errorCatalogue = {
  VALIDATION_FAILED: { status: 400, message: 'Some of the values sent are not valid.' },
  MALFORMED_REQUEST: { status: 400, message: 'The request body could not be read.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body is not in a form this route accepts: JSON, or a multipart form for uploads.' },
  CSRF_REJECTED: { status: 403, message: 'The request was refused because it did not come from the Haven app. Reload the page and try again.' },
  AUTH_REQUIRED: { status: 401, message: 'Please sign in.' },
  AUTH_INVALID_CREDENTIALS: { status: 401, message: 'The e-mail address or password is incorrect, or the account is temporarily locked. If it is locked, we have sent an e-mail.' },
  AUTH_EMAIL_NOT_VERIFIED: { status: 403, message: 'Please confirm your e-mail address first. We have sent you a new link.' },
  AUTH_ORGANISATION_REQUIRED: { status: 409, message: 'Choose an organisation to continue.' },
  SESSION_LOCKED: { status: 401, message: 'Your session was locked after a period of inactivity. Enter your password to continue.' },
  SESSION_EXPIRED: { status: 401, message: 'Your session has ended. Please sign in again.' },
  TOKEN_INVALID: { status: 400, message: 'This link is invalid, has expired or was already used.' },
  PASSWORD_POLICY_VIOLATION: { status: 400, message: 'The password does not meet the password rules.' },
  PASSWORD_INCORRECT: { status: 400, message: 'The current password is incorrect.' },
  SECOND_FACTOR_REQUIRED: { status: 401, message: 'Enter the code from your authenticator app to finish signing in.' },
  SECOND_FACTOR_INVALID: { status: 401, message: 'The code is not correct or has expired, or too many wrong codes were entered and the account is locked for a while. If it is locked, we have sent an e-mail.' },
  SECOND_FACTOR_NOT_PENDING: { status: 409, message: 'There is no sign-in waiting for a second factor.' },
  ENROLMENT_REQUIRED: { status: 403, message: 'Set up two-factor authentication to continue.' },
  SIGN_IN_CONFIRMATION_REQUIRED: { status: 403, message: 'This sign-in is waiting for your confirmation: open the link we sent you by e-mail.' },
  SIGN_IN_NOT_CONFIRMED: { status: 409, message: 'This sign-in has not been confirmed yet. Open the link in the e-mail we sent you, then continue.' },
  SIGN_IN_CONFIRMATION_EXPIRED: { status: 410, message: 'This sign-in was not confirmed within 15 minutes and has ended. Please sign in again.' },
  SIGN_IN_NOT_HELD: { status: 409, message: 'There is no sign-in waiting for confirmation.' },
  PASSWORD_RESET_REQUIRED: { status: 403, message: 'For your safety, choose a new password before signing in: use "Forgot password?" to get a link.' },
  DEVICE_NOT_FOUND: { status: 404, message: 'Device not found.' },
  STEP_UP_REQUIRED: { status: 403, message: 'Confirm it is you with your second factor to do this.' },
  TOTP_ALREADY_ENROLLED: { status: 409, message: 'An authenticator app is already set up. Remove it first to set up another.' },
  TOTP_SETUP_NOT_STARTED: { status: 409, message: 'Start the authenticator app setup again: it was not started or has already been completed.' },
  PASSKEY_NOT_FOUND: { status: 404, message: 'Passkey not found.' },
  PASSKEY_REGISTRATION_FAILED: { status: 400, message: 'The passkey could not be registered: the request was not confirmed on the device, took too long or came from elsewhere. Please try again.' },
  PASSKEY_ALREADY_REGISTERED: { status: 409, message: 'This passkey is already registered.' },
  PASSKEY_LIMIT_REACHED: { status: 409, message: 'This account has the most passkeys it can have. Remove one before adding another.' },
  PASSKEY_SIGN_IN_FAILED: { status: 401, message: 'The passkey could not sign you in: it may not be registered here, the request may have expired, or the account may be locked for a while. Try again, or sign in with your e-mail address and password.' },
  LAST_FACTOR: { status: 409, message: 'Your practice requires two-factor authentication: set up another factor before removing this one.' },
  FACTOR_NOT_ALLOWED: { status: 409, message: 'Your practice does not allow this way of signing in. Choose another one.' },
  FACTOR_NOT_SET_UP: { status: 409, message: 'This way of signing in is not set up for your account. Choose another one.' },
  FACTOR_ALREADY_SET_UP: { status: 409, message: 'This is already set up. Remove it first to set it up again.' },
  FACTOR_SETUP_NOT_STARTED: { status: 409, message: 'Ask for a new code to start again: no setup is waiting for a code.' },
  FACTOR_POLICY_NEEDS_STRONG_FACTOR: { status: 400, message: 'Keep passkeys or authenticator apps allowed: text-message and e-mail codes alone are too easy to intercept.' },
  CODE_RESEND_TOO_SOON: { status: 429, message: 'A code was sent just now, or too many were sent. Wait a little before asking for another one.' },
  CODE_DELIVERY_FAILED: { status: 502, message: 'The code could not be sent. Try again in a moment, or use another way to sign in.' },
  PHONE_NUMBER_INVALID: { status: 400, message: 'This is not a mobile number a text message can reach. Enter it with the country code, e.g. +31 6 12345678.' },
  IP_NOT_ALLOWED: { status: 403, message: 'Your practice only allows access from its own networks. Connect from an allowed network, or ask your administrator.' },
  IP_ALLOWLIST_EXCLUDES_YOU: { status: 409, message: 'This list leaves out the address you are connected from: you would lose access at once. Add your network, or confirm that you mean it.' },
  FORBIDDEN: { status: 403, message: 'You do not have permission to do this.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  ROUTE_NOT_FOUND: { status: 404, message: 'There is no such API route.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This method is not allowed here.' },
  SESSION_NOT_FOUND: { status: 404, message: 'Session not found.' },
  MEMBER_NOT_FOUND: { status: 404, message: 'Staff member not found.' },
  INVITATION_NOT_FOUND: { status: 404, message: 'Invitation not found.' },
  LAST_OWNER: { status: 409, message: 'An organisation must keep at least one active owner.' },
  FACTOR_RESET_OWN: { status: 409, message: 'Your own second factors are changed under My security, not reset by yourself as an administrator.' },
  ALREADY_MEMBER: { status: 409, message: 'This person is already a member of the organisation.' },
  FILE_NOT_FOUND: { status: 404, message: 'File not found.' },
  FILE_REQUIRED: { status: 400, message: 'Choose a file to upload.' },
  FILE_EMPTY: { status: 400, message: 'The file is empty.' },
  FILE_TOO_LARGE: { status: 413, message: 'The file is larger than the upload limit.' },
  FILE_TYPE_NOT_ALLOWED: { status: 415, message: 'This kind of file cannot be uploaded. Upload a PDF, an image (PNG, JPEG, WebP or HEIC), a text or CSV file, or a Word, Excel or OpenDocument file.' },
  PATIENT_NOT_FOUND: { status: 404, message: 'Patient not found.' },
  CARE_TEAM_REQUIRED: { status: 403, message: "Only this patient's care team can open their record. Ask to be added to the care team, or use emergency access if you must act now." },
  PATIENT_ALREADY_EXISTS: { status: 409, message: 'A patient with this national identifier is already registered in this practice. Search for them instead.' },
  ENTRY_NOT_FOUND: { status: 404, message: 'Dossier entry not found.' },
  ENTRY_VERSION_CONFLICT: { status: 409, message: 'Someone else saved a newer version of this entry meanwhile. Reload it, then make your change again.' },
  ENTRY_ENTERED_IN_ERROR: { status: 409, message: 'This entry was marked as entered in error and can no longer be changed. Write a new entry instead.' },
  DOCUMENT_NOT_FOUND: { status: 404, message: 'Document not found.' },
  ROLE_NOT_FOUND: { status: 404, message: 'Role not found.' },
  ROLE_IN_USE: { status: 409, message: 'Staff members still have this role. Give them another role first, then delete it.' },
  ROLE_EXCEEDS_OWN_PERMISSIONS: { status: 403, message: 'You can only create or assign roles whose permissions you hold yourself.' },
  ROLE_NAME_TAKEN: { status: 409, message: 'This practice already has a role with this name. Choose another name.' },
  CARE_TEAM_MEMBER_NOT_FOUND: { status: 404, message: "This person is not in the patient's care team." },
  BREAK_GLASS_NOT_NEEDED: { status: 409, message: "You are already in this patient's care team: no emergency access is needed." },
  PATIENT_ACCOUNT_CONFLICT: { status: 409, message: 'This person already works in this practice and cannot also be one of its patients with the same account. Invite them with another e-mail address.' },
  PATIENT_ALREADY_IN_PORTAL: { status: 409, message: 'This patient already has a portal account.' },
  PATIENT_INVITATION_PENDING: { status: 409, message: 'This patient already has a pending portal invitation. Revoke it first to send a new one.' },
  COMMENT_NOT_FOUND: { status: 404, message: 'Comment not found.' },
  INVITATION_PENDING: { status: 409, message: 'An invitation for this e-mail address is already pending.' },
  CONFLICT_RETRY: { status: 409, message: 'Something changed at the same moment. Please try again.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests. Please wait a moment and try again.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'Haven is not ready yet. Please try again shortly.' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side. Quote the request id when you contact support.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];

/** The JSON body of every error response. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    requestId: string;
    /** Per-field problems for VALIDATION_FAILED / PASSWORD_POLICY_VIOLATION; never echoes values. */
    fields?: Array<{ path: string; issue: string }>;
    /** Seconds until a retry makes sense (RATE_LIMITED). */
    retryAfterSeconds?: number;
  };
}
