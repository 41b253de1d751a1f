import { test, expect } from '@playwright/test';
import { waitForHydration } from './helpers';

test('the checklist and meter react while typing', async ({ page }) => {
  await page.goto('/register');
  await waitForHydration(page);
  const rules = page.getByRole('list', { name: 'Password rules' });
  const item = (name: string) => rules.getByRole('listitem').filter({ hasText: name });

  await expect(item('8–128 characters')).toContainText('not met yet');
  await expect(page.getByText('Strength: Very weak')).toBeVisible();

  const password = page.getByLabel('Password', { exact: true });
  await password.pressSequentially('tangerine', { delay: 10 });
  await expect(item('8–128 characters')).toContainText(': met');
  await expect(item('A capital letter')).toContainText('not met yet');
  await expect(item('A number')).toContainText('not met yet');

  await password.pressSequentially('7Harbor', { delay: 10 });
  for (const rule of ['8–128 characters', 'A capital letter', 'A number', 'Not your e-mail address', 'Not a common password']) {
    await expect(item(rule)).toContainText(': met');
  }
  await expect(page.getByText(/Strength: (Good|Strong)/)).toBeVisible();

  await password.fill('Password1');
  await expect(item('Not a common password')).toContainText('not met yet');
  await expect(page.getByText('Strength: Very weak')).toBeVisible();
});

test('the e-mail is checked when the field is left', async ({ page }) => {
  await page.goto('/register');
  await waitForHydration(page);
  await page.getByLabel('E-mail').fill('lin@');
  await page.getByLabel('Password', { exact: true }).focus();
  await expect(page.locator('#field-email-error')).toHaveText('Enter an e-mail address like name@example.com.');
});

test('show/hide is a real toggle button', async ({ page }) => {
  await page.goto('/login');
  await waitForHydration(page);
  const password = page.getByLabel('Password', { exact: true });
  const toggle = page.getByRole('button', { name: 'Show password' });
  await password.fill('secret-value');
  await expect(password).toHaveAttribute('type', 'password');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(password).toHaveAttribute('type', 'text');
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(password).toHaveValue('secret-value');
});

test('what was typed before the WebAssembly loaded is kept', async ({ page }) => {
  // Hold the WebAssembly back until the form is filled, as on a slow phone connection.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/pkg/rekey.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/register');
  await page.getByLabel('E-mail').fill('early@example.com');
  await page.getByLabel('Password', { exact: true }).fill('Tangerine7Harbor');
  release();
  await waitForHydration(page);
  await expect(page.getByLabel('E-mail')).toHaveValue('early@example.com');
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('Tangerine7Harbor');
  // The checklist judges the password typed before hydration.
  const rules = page.getByRole('list', { name: 'Password rules' });
  await expect(rules.getByRole('listitem').filter({ hasText: 'A capital letter' })).toContainText(': met');
});
