export { loadServicesFile, parseServiceDefinition, parseServices, RegistryFileError } from './load-file';
export {
  countOpenJobs,
  deleteApiService,
  insertApiService,
  parseRegistryChange,
  REGISTRY_CHANNEL,
  replaceApiService,
  setServiceMode,
} from './services';
export { createRegistry, loadAllServices, loadRegistry, type LiveRegistry, type Registry } from './registry';
export type { Violation } from './validate-input';
export * from './types';
