export { loadServicesFile, parseServices, RegistryFileError } from './load-file';
export { syncFileServices, loadActiveServices } from './services';
export { createRegistry, loadRegistry, type Registry } from './registry';
export type { Violation } from './validate-input';
export * from './types';
