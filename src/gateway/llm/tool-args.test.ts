// Tool arguments between JSON text and objects: nothing a model wrote is lost, even when it is not JSON.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { argumentsFromObject, argumentsToObject, UNPARSED_ARGUMENTS_KEY } from './tool-args.js';

describe('tool arguments', () => {
  it('parses an object, maps empty text to {}, and carries anything else as text', () => {
    expect(argumentsToObject('{"city":"Paris"}')).toEqual({ city: 'Paris' });
    expect(argumentsToObject('  ')).toEqual({});
    expect(argumentsToObject('{"city": "Par')).toEqual({ [UNPARSED_ARGUMENTS_KEY]: '{"city": "Par' });
    expect(argumentsToObject('[1,2]')).toEqual({ [UNPARSED_ARGUMENTS_KEY]: '[1,2]' });
  });

  it('restores the exact text of arguments that were not a JSON object (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const obj = argumentsToObject(text);
        if (UNPARSED_ARGUMENTS_KEY in obj) expect(argumentsFromObject(obj)).toBe(text);
        else expect(JSON.parse(argumentsFromObject(obj))).toEqual(text.trim() === '' ? {} : JSON.parse(text));
      }),
    );
  });
});
