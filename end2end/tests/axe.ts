import { expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

// axe-core on every real page, hydrated, including states with errors shown: WCAG 2.2 A/AA
// rules, zero violations allowed.
export async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const found = results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(found, `${what}: axe violations`).toEqual([]);
}

