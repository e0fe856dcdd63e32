// Tests for reading an edited template document: every basic problem listed at once.
import { describe, expect, it } from 'vitest';
import { NEW_TEMPLATE, parseTemplateDocument } from './document';

describe('parseTemplateDocument', () => {
  it('accepts the starting template', () => {
    expect(parseTemplateDocument(JSON.stringify(NEW_TEMPLATE))).toEqual({ document: NEW_TEMPLATE });
  });

  it('reports JSON syntax errors', () => {
    const result = parseTemplateDocument('{"name": ');
    expect('problems' in result && result.problems[0]).toMatch(/^Not valid JSON/);
  });

  it('lists every problem at once', () => {
    expect(parseTemplateDocument(JSON.stringify({ name: '', parameters: [], metadata: {} }))).toEqual({
      problems: ['name: required text', 'command_template: required text', 'parameters: must be an object of name → definition', 'metadata: set by the hub; remove it'],
    });
    expect(parseTemplateDocument('[1]')).toEqual({ problems: ['The template must be a JSON object.'] });
  });
});
