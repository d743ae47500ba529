import { formatBytes, slugPreview } from '../shares/names';

describe('slugPreview', () => {
  it.each([
    ['Sample model', 'sample-model'],
    ['Modèle été', 'modele-ete'],
    ['  A__b--c  ', 'a-b-c'],
    ["Bob's model", 'bobs-model']
  ])('makes %s into %s like python-slugify', (name, slug) => {
    expect(slugPreview(name)).toEqual({
      slug,
      problem: '',
      approximate: false
    });
  });

  it.each([
    ['', 'empty'],
    ['..', 'no-letters'],
    ['../etc', 'separator'],
    ['a%2Fb', 'separator'],
    ['x'.repeat(64), 'too-long']
  ])('refuses %s (%s)', (name, problem) => {
    expect(slugPreview(name).problem).toBe(problem);
  });

  it('says when the server transliterates', () => {
    expect(slugPreview('日本語').approximate).toBe(true);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1500, '1.5 kB'],
    [25_000_000, '25 MB']
  ])('%d bytes is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
