// The one-direction data path of STYLE.md, as dependency-cruiser rules (run by `pnpm test`
// through tools/boundaries.mjs). Each layer calls only the ones below it:
//
//   environments/, tools/, examples/       what the operator wants, and the repository's scripts
//     → @atlas/generator                   files, headers, atomic write, --check, docs
//     → @atlas/<service>                   service knowledge (the generator composes; it never
//                                          imports a service package)
//     → @atlas/incus-service               the Incus service block: incusServiceModule, service
//                                          options, cloud-init, log shipping, link resolution
//     → @atlas/core                        module model: variables, resources, outputs, references,
//                                          validation rules, environment and estate checks
//     → @atlas/providers                   typed Incus and TLS resources
//     → @atlas/hcl                         HCL syntax tree → canonical text (knows nothing of Atlas)
//
// Tests may reach sideways and up (a service's tests render through the generator and run
// @atlas/verify); the rules hold for the code a package publishes.

/** Packages that are not services: the model's layers, the generator and the test tooling. */
const NOT_SERVICES = new Set([
  'bad-input-corpus',
  'core',
  'generator',
  'hcl',
  'incus-service',
  'preview',
  'providers',
  'sim-provider',
  'testing',
  'verify',
]);

/**
 * The packages that hold service knowledge (each builds on the model and nothing else): every
 * other folder of packages/, so a new service (`pnpm new:service`) is checked without a list to edit.
 */
const SERVICES = require('node:fs')
  .readdirSync(`${__dirname}/packages`, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('.') && !NOT_SERVICES.has(d.name))
  .map((d) => d.name)
  .sort();

/** Published source of `pkg`, without its tests and fixtures. */
const source = (pkg) => ({
  path: `^packages/${pkg}/src/`,
  pathNot: ['\\.test(-d)?\\.ts$', '/fixtures/'],
});
/** Any package folder other than the ones named. */
const packagesExcept = (...names) => `^packages/(?!(${names.join('|')})/)[^/]+/`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'Modules that import each other (at run time) cannot be read, or loaded, one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-circular-types',
      comment:
        'A cycle of type imports ties two modules together as much as a run-time one: the shared types belong in a module both import.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'hcl-knows-nothing-of-atlas',
      comment: '@atlas/hcl is HCL syntax and its printer; it imports no other Atlas package.',
      severity: 'error',
      from: source('hcl'),
      to: { path: [packagesExcept('hcl'), '^(environments|tools|examples)/'] },
    },
    {
      name: 'providers-below-core',
      comment: '@atlas/providers types Incus and TLS resources on top of @atlas/hcl alone.',
      severity: 'error',
      from: source('providers'),
      to: { path: [packagesExcept('providers', 'hcl'), '^(environments|tools|examples)/'] },
    },
    {
      name: 'core-below-services',
      comment:
        '@atlas/core is the module model: it builds on @atlas/hcl and @atlas/providers, never on the service block, a service, the generator or the estate.',
      severity: 'error',
      from: source('core'),
      to: { path: [packagesExcept('core', 'providers', 'hcl'), '^(environments|tools|examples)/'] },
    },
    {
      name: 'service-block-builds-on-the-model',
      comment:
        '@atlas/incus-service is the block every service is built from: it uses the model (core, providers, hcl), never a service, the generator or the estate.',
      severity: 'error',
      from: source('incus-service'),
      to: {
        path: [
          packagesExcept('incus-service', 'core', 'providers', 'hcl'),
          '^(environments|tools|examples)/',
        ],
      },
    },
    {
      name: 'services-build-on-the-model',
      comment:
        'A service package knows its service and uses the service block and the model (incus-service, core, providers, hcl); it imports no other service, the generator or test tooling.',
      severity: 'error',
      from: { ...source(`(${SERVICES.join('|')})`) },
      to: {
        path: ['^packages/[^/]+/', '^(environments|tools|examples)/'],
        pathNot: ['^packages/($1|incus-service|core|providers|hcl)/'],
      },
    },
    {
      name: 'generator-composes-the-model',
      comment:
        '@atlas/generator turns the model into files; service knowledge reaches it only through the estate it is given.',
      severity: 'error',
      from: source('generator'),
      to: {
        path: [
          packagesExcept('generator', 'core', 'providers', 'hcl'),
          '^(environments|tools|examples)/',
        ],
      },
    },
    {
      name: 'packages-do-not-reach-the-estate',
      comment: 'No package, tests included, imports the estate or the repository scripts.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: '^(environments|tools|examples)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: {
      path: ['(^|/)node_modules/', '(^|/)dist/', '^tools/fixtures/', '^examples/consumer/'],
    },
    // Type imports count: a layer that needs another's types depends on it.
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    // Workspace packages resolve to their source (the `@atlas/source` export condition).
    enhancedResolveOptions: {
      conditionNames: ['@atlas/source', 'import', 'types', 'default'],
      exportsFields: ['exports'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
