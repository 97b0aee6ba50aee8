// What the generator writes: whole files, and regions of hand-written files.
import { registryHeader } from './render_cpp.mjs';
import { operationsTables, protocolTables } from './render_docs.mjs';
import { javaRegistry } from './render_java.mjs';
import {
  bridgeRegion, extensionModule, pageEndReasonRegion, pageErrorCodeRegion, pageVersionRegion,
  typesEndReasonRegion, typesErrorCodeRegion, typesReasonsRegion,
} from './render_js.mjs';

export const outputs = [
  { file: 'common/src/cardbound/protocol/registry.h', whole: registryHeader },
  { file: 'extension/src/shared/registry.js', whole: extensionModule },
  { file: 'java/core/src/main/java/org/cardbound/core/Registry.java', whole: javaRegistry },
  { file: 'extension/src/content/bridge.js', regions: { registry: bridgeRegion } },
  {
    file: 'js/cardbound.js',
    regions: { version: pageVersionRegion, 'error-codes': pageErrorCodeRegion, 'end-reasons': pageEndReasonRegion },
  },
  {
    file: 'js/cardbound.d.ts',
    regions: { 'error-codes': typesErrorCodeRegion, 'end-reasons': typesEndReasonRegion, reasons: typesReasonsRegion },
  },
  { file: 'docs/protocol.md', regions: protocolTables },
  { file: 'docs/operations.md', regions: operationsTables },
];
