// The dashboard's GraphQL documents against the hub's schema (../schema.graphql): every document
// (as codegen compiled it, fragments included) is valid and selects no field the schema marks
// `@deprecated` (the JSON-typed and page-numbered fields kept for older clients); and the cache's
// list of union / interface members is the schema's.
/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildSchema, isAbstractType, Kind, parse, validate, type DocumentNode } from 'graphql';
import { NoDeprecatedCustomRule, specifiedRules } from 'graphql/validation';
import { describe, expect, it } from 'vitest';
import * as generated from '../gql/graphql';
import { POSSIBLE_TYPES } from './client';

// Vitest runs in web/: the hub's schema is checked in next to it.
const schema = buildSchema(readFileSync(resolve(process.cwd(), '../schema.graphql'), 'utf8'));

/** Every operation codegen compiled (each with the fragments it uses). */
const documents = Object.entries(generated as Record<string, unknown>).filter(
  (entry): entry is [string, DocumentNode] =>
    typeof entry[1] === 'object' && entry[1] !== null && (entry[1] as { kind?: unknown }).kind === Kind.DOCUMENT && (entry[1] as DocumentNode).definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION),
);

describe('GraphQL documents', () => {
  it('are all found', () => {
    expect(documents.length).toBeGreaterThan(40);
    expect(documents.map(([name]) => name)).toContain('StartExecutionDocument');
  });

  it.each(documents)('%s is valid against the schema', (_name, document) => {
    expect(validate(schema, document, specifiedRules).map((e) => e.message)).toEqual([]);
  });

  it.each(documents)('%s selects no deprecated field', (_name, document) => {
    expect(validate(schema, document, [NoDeprecatedCustomRule]).map((e) => e.message)).toEqual([]);
  });

  it('would notice a deprecated field', () => {
    const old = parse('query Old { servers(page: 1, pageSize: 10) { items { serverId } total } }');
    expect(validate(schema, old, [NoDeprecatedCustomRule]).map((e) => e.message)).toEqual([
      expect.stringMatching(/"Query.servers" argument "page" is deprecated/),
      expect.stringMatching(/"Query.servers" argument "pageSize" is deprecated/),
      expect.stringMatching(/ServerConnection\.items is deprecated/),
      expect.stringMatching(/ServerConnection\.total is deprecated/),
    ]);
  });
});

describe('cache possibleTypes', () => {
  it('lists the members of every union and interface of the schema', () => {
    const abstract = Object.values(schema.getTypeMap()).filter((t) => isAbstractType(t) && !t.name.startsWith('__'));
    const expected = Object.fromEntries(abstract.map((t) => [t.name, schema.getPossibleTypes(t as never).map((m) => m.name).sort()]));
    const actual = Object.fromEntries(Object.entries(POSSIBLE_TYPES).map(([k, v]) => [k, [...v].sort()]));
    expect(actual).toEqual(expected);
  });
});
