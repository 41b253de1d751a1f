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

test('show/hide says what a press does, and what it did', async ({ page }) => {
  await page.goto('/login');
  await waitForHydration(page);
  const password = page.getByLabel('Password', { exact: true });
  const status = page.locator('.password-input [aria-live="polite"]');
  await password.fill('secret-value');
  await expect(password).toHaveAttribute('type', 'password');
  await expect(status).toHaveText('');

  await page.getByRole('button', { name: 'Show password' }).click();
  await expect(password).toHaveAttribute('type', 'text');
  const hide = page.getByRole('button', { name: 'Hide password' });
  // The visible word is in the accessible name (WCAG 2.5.3: speech users say what they see).
  await expect(hide.locator('[aria-hidden="true"]')).toHaveText('Hide');
  await expect(status).toHaveText('Password shown.');
  await expect(password).toHaveValue('secret-value');

  await hide.click();
  await expect(password).toHaveAttribute('type', 'password');
  await expect(page.getByRole('button', { name: 'Show password' }).locator('[aria-hidden="true"]')).toHaveText('Show');
  await expect(status).toHaveText('Password hidden.');
});

test('what was typed before the WebAssembly loaded is kept', async ({ page }) => {
  // Hold the WebAssembly back until the form is filled, as on a slow phone connection.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let heldBack = 0;
  await page.route(/\/pkg\/rekey\.[\w-]+\.wasm$/, async (route) => {
    heldBack += 1;
    await held;
    await route.continue();
  });
  await page.goto('/register');
  await page.getByLabel('E-mail').fill('early@example.com');
  await page.getByLabel('Password', { exact: true }).fill('Tangerine7Harbor');
  release();
  await waitForHydration(page);
  expect(heldBack, 'the WebAssembly was held back').toBeGreaterThan(0);
  await expect(page.getByLabel('E-mail')).toHaveValue('early@example.com');
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('Tangerine7Harbor');
  // The checklist judges the password typed before hydration.
  const rules = page.getByRole('list', { name: 'Password rules' });
  await expect(rules.getByRole('listitem').filter({ hasText: 'A capital letter' })).toContainText(': met');
});

test('a form that comes back with an error keeps the e-mail, never the password, and focuses the error', async ({
  page,
}) => {
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('E-mail').fill('kept@example.com');
  await page.getByLabel('Password', { exact: true }).fill('Wrong1Password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  // A plain post: the same page comes back from the server with the error.
  await expect(page.getByRole('alert')).toHaveText('Incorrect e-mail or password.');
  await expect(page).toHaveURL(/\/login\?.*__err=/);
  await waitForHydration(page);
  await expect(page.getByLabel('E-mail')).toHaveValue('kept@example.com');
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  // An error about the whole form takes the focus (a screen reader reads it); Tab goes on to
  // the first field.
  await expect(page.getByText('Incorrect e-mail or password.')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('E-mail')).toBeFocused();

  // The field the server found wrong takes the focus.
  await page.getByLabel('E-mail').fill('lin@');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#field-email-error')).toHaveText('Enter an e-mail address like name@example.com.');
  await expect(page.getByLabel('E-mail')).toBeFocused();

  // A page reached afresh forgets what was kept: the next error brings nothing back.
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/login\?.*__err=/);
  await expect(page.locator('#field-email-error')).not.toBeEmpty();
  // Set once the islands have hydrated and run their first effects (the restoring one too).
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  await expect(page.getByLabel('E-mail')).toHaveValue('');
});

test('the button shows the form is being sent', async ({ page }) => {
  await page.goto('/recover');
  await expect(page.locator('html[data-hydrated]')).toBeAttached();
  const button = page.getByRole('button', { name: 'Continue' });
  await expect(button).toHaveAttribute('aria-busy', 'false');
  // Keep the page: the post is cancelled after the button's own listener has seen it (a held
  // navigation cannot be inspected).
  await page.locator('form').filter({ has: button }).evaluate((form) =>
    form.addEventListener('submit', (ev) => ev.preventDefault()),
  );
  await page.getByLabel('E-mail').fill('busy@example.com');
  await button.click();
  await expect(button).toHaveAttribute('aria-busy', 'true');
  await expect(page).toHaveURL(/\/recover$/);
});
