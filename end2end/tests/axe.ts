import { expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

// axe-core on every real page, hydrated, including states with errors shown: WCAG 2.2 A/AA
// rules, zero violations allowed.
// `exclude`: selectors left out (the gallery index leaves out its frames: each framed state
// is checked on its own page by gallery.spec.ts).
export async function expectAccessible(page: Page, what: string, exclude: string[] = []) {
  let builder = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']);
  for (const selector of exclude) builder = builder.exclude(selector);
  const results = await builder.analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(found, `${what}: axe violations`).toEqual([]);
}

