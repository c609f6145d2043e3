import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/demo/report.js';
import { rolledBackRun } from './fixtures.js';
import { attr, classes, parseStrict } from './html.js';

describe('demo report', () => {
  it('is valid HTML with one timeline chart per run, a threshold line per check and a marker per decision', () => {
    const good = {
      ...rolledBackRun(),
      scenario: 'good-release',
      expected: 'Promoted',
      got: 'Promoted',
      decisions: rolledBackRun().decisions.slice(0, 2),
    };
    const html = renderReport([rolledBackRun(), good], {
      generatedAt: new Date('2026-11-26T12:01:00Z'),
      version: '0.1.0',
    });
    const elements = parseStrict(html);
    const charts = elements.filter((e) => e.tagName === 'svg' && classes(e).includes('timeline'));
    expect(charts).toHaveLength(2);
    const decisions = elements.filter((e) => e.tagName === 'g' && classes(e).includes('decision'));
    expect(decisions.map((e) => attr(e, 'data-reason'))).toEqual([
      'NewRevision',
      'WeightSet',
      'AnalysisFailed',
      'NewRevision',
      'WeightSet',
    ]);
    expect(elements.filter((e) => e.tagName === 'line' && classes(e).includes('threshold'))).toHaveLength(4);
    expect(elements.filter((e) => e.tagName === 'circle' && classes(e).includes('failed'))).toHaveLength(4);
    // nothing from the data becomes markup, and the report needs nothing from elsewhere
    expect(elements.some((e) => e.tagName === 'script')).toBe(false);
    expect(html).toContain('0.1778 &#62; 0.01 &#60;script&#62;');
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
  });
});
