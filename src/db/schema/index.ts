export * from './enums';
export * from './tenants';
export * from './services';
export * from './jobs';
export * from './instances';
