export * from './envelope';
export * from './domain';
export * from './channels';
export * from './wire';
