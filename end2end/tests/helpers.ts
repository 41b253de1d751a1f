import { expect, type APIRequestContext, type Page } from '@playwright/test';

/** A fresh address per test, so tests never share accounts or rate limits. */
export function freshEmail(tag: string): string {
  const n = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  return `${tag}.${n}@example.com`;
}

export const GOOD_PASSWORD = 'Tangerine7Harbor';

type Delivered = { to: string; subject: string; text: string; delivered_at: number };

/** Waits for a message to `to` whose subject matches, and returns the newest such. */
export async function waitForMessage(
  request: APIRequestContext,
  to: string,
  subject: RegExp,
): Promise<Delivered> {
  let found: Delivered | undefined;
  await expect
    .poll(
      async () => {
        const res = await request.get(`/dev/outbox.json?to=${encodeURIComponent(to)}`);
        expect(res.ok()).toBeTruthy();
        const messages = (await res.json()) as Delivered[];
        found = messages.find((m) => subject.test(m.subject));
        return found !== undefined;
      },
      { message: `a message to ${to} matching ${subject}`, timeout: 10_000 },
    )
    .toBe(true);
  return found!;
}

/** The six-digit code in the newest sign-up e-mail to `to`. */
export async function signupCode(request: APIRequestContext, to: string): Promise<string> {
  const message = await waitForMessage(request, to, /sign-up code/);
  const code = message.text.match(/\b(\d{6})\b/)?.[1];
  expect(code, 'the e-mail holds a six-digit code').toBeTruthy();
  return code!;
}

/** Signs up through the real pages and lands on /account. */
export async function signUp(page: Page, email: string, password = GOOD_PASSWORD, phone = '') {
  await page.goto('/register');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (phone) await page.getByLabel('Mobile number (optional)').fill(phone);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/register\/confirm$/);
  await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
  const code = await signupCode(page.request, email);
  await page.getByLabel('Verification code').fill(code);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByText(`Signed in as ${email}`)).toBeVisible();
}

/** Signs in through the login page. */
export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the WebAssembly has hydrated the page (the show/hide toggle appears). */
export async function waitForHydration(page: Page) {
  await expect(page.getByRole('button', { name: 'Show password' })).toBeVisible();
}

/** The mask the screens show for `email`: first and last letter of the local part. */
export function masked(email: string): string {
  const [local, domain] = email.split('@');
  return `${local[0]}***${local[local.length - 1]}@${domain}`;
}

/** Recovery e-mails to `to` with a code, newest first. */
async function recoveryMails(request: APIRequestContext, to: string): Promise<Delivered[]> {
  const res = await request.get(`/dev/outbox.json?to=${encodeURIComponent(to)}`);
  expect(res.ok()).toBeTruthy();
  return ((await res.json()) as Delivered[]).filter((m) => /verification code/.test(m.subject));
}

/** Waits for the `nth` recovery code e-mail to `to` (1 = the first) and returns its code. */
export async function recoveryCode(request: APIRequestContext, to: string, nth = 1): Promise<string> {
  await expect
    .poll(async () => (await recoveryMails(request, to)).length, {
      message: `recovery e-mail number ${nth} to ${to}`,
      timeout: 10_000,
    })
    .toBeGreaterThanOrEqual(nth);
  const newest = (await recoveryMails(request, to))[0];
  const code = newest.text.match(/\b(\d{6})\b/)?.[1];
  expect(code, 'the e-mail holds a six-digit code').toBeTruthy();
  return code!;
}

/** From `/recover` to the code screen: e-mail, Continue, Verify now, Send me a verification code. */
export async function startRecovery(page: Page, email: string) {
  await page.goto('/recover');
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/recover\/verify$/);
  await expect(page.getByRole('heading', { name: 'Verify your identity' })).toBeVisible();
  await expect(page.locator('.destination__value')).toHaveText(masked(email));
  await page.getByRole('button', { name: 'Verify now' }).click();
  await page.getByRole('button', { name: 'Send me a verification code' }).click();
  await expect(page).toHaveURL(/\/recover\/code$/);
  await expect(page.getByRole('heading', { name: 'Enter the code' })).toBeVisible();
  await expect(page.getByText(`We sent a 6-digit code to ${masked(email)}`)).toBeVisible();
}

/** A six-digit code that is not `code`. */
export function wrongCode(code: string): string {
  return code === '111111' ? '222222' : '111111';
}

/** Waits for the newest text message to `phone` (E.164) and returns its code. */
export async function smsCode(request: APIRequestContext, phone: string): Promise<string> {
  let code: string | undefined;
  await expect
    .poll(
      async () => {
        const res = await request.get(`/dev/outbox.json?to=${encodeURIComponent(phone)}`);
        const messages = (await res.json()) as (Delivered & { channel: string })[];
        code = messages.find((m) => m.channel === 'sms')?.text.match(/\b(\d{6})\b/)?.[1];
        return code !== undefined;
      },
      { message: `a text message to ${phone}`, timeout: 10_000 },
    )
    .toBe(true);
  return code!;
}
