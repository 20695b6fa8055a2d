// Types for `import ... from 'synfin'`. synfin has no build step, so its
// TypeScript sources are the declarations.
// ambient types of pcap-parser (which ships none) for programs that do not
// compile synfin's own src/. docs/api.md says what a consumer's tsconfig needs.
export * from '../src/index.ts';
