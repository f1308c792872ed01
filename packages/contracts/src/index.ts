export * from './errors.ts';
export * from './roles.ts';
export * from './policy.ts';
export * from './api.ts';
export * from './audit-actions.ts';
export * from './files.ts';
export * from './second-factor.ts';
export * from './passkeys.ts';
