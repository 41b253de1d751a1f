import { test, expect, type Page } from '@playwright/test';
import { freshEmail, GOOD_PASSWORD, recoveryCode, signIn, signUp, smsCode } from './helpers';
import { expectAccessible } from './axe';

// Runs against the second server, where SLIDER_POLICY=always: every recovery shows the slider.
// The server judges with its real rules; nothing here is a bypass.

// Waits are generous: proof-of-work and drags run slower on a busy machine.
test.describe.configure({ timeout: 60_000 });

const handle = (page: Page) => page.getByRole('slider', { name: 'Drag to verify' });
const status = (page: Page) => page.locator('.slider__status');

async function toTheSlider(page: Page) {
  await page.goto('/recover');
  await page.getByLabel('E-mail').fill(freshEmail('slider'));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/recover\/check$/);
  await expect(page.getByRole('heading', { name: 'One quick check' })).toBeVisible();
  await expect(handle(page)).toBeVisible();
  await expect(status(page)).toContainText('Drag the slider to the end');
}

/** Geometry of the track and handle, in page coordinates. */
async function geometry(page: Page) {
  const h = (await handle(page).boundingBox())!;
  const t = (await page.locator('.slider__track').boundingBox())!;
  return { x: h.x + h.width / 2, y: h.y + h.height / 2, travel: t.width - h.width, track: t };
}

/** A person's drag: minimum-jerk speed profile, hand tremor, overshoot, 8–20 ms between moves, dwell. */
async function humanDrag(page: Page) {
  await page.waitForTimeout(700); // people read before they drag
  const g = await geometry(page);
  await page.mouse.move(g.x - 40, g.y + 12);
  await page.mouse.move(g.x, g.y, { steps: 4 });
  await page.mouse.down();
  const n = 40 + Math.floor(Math.random() * 30);
  const overshoot = 6 + Math.random() * 6;
  for (let i = 1; i <= n; i++) {
    const tau = i / n;
    const s = 10 * tau ** 3 - 15 * tau ** 4 + 6 * tau ** 5;
    const extra = tau > 0.8 ? overshoot * Math.sin(((tau - 0.8) / 0.2) * Math.PI) : 0;
    await page.mouse.move(g.x + s * g.travel + extra, g.y + (Math.random() * 6 - 3) + 4 * tau);
    await page.waitForTimeout(8 + Math.random() * 12);
  }
  await page.waitForTimeout(90);
  await page.mouse.up();
}

/** A script's drag: straight, evenly spaced, no tremor. */
async function straightDrag(page: Page) {
  await page.waitForTimeout(700);
  const g = await geometry(page);
  await page.mouse.move(g.x, g.y);
  await page.mouse.down();
  await page.mouse.move(g.x + g.travel + 5, g.y, { steps: 10 });
  await page.mouse.up();
}

/**
 * A person's drag, tried again when refused, as a person would (the widget offers a fresh
 * challenge): Playwright's mouse on a busy CI machine can stall between moves long enough for
 * the judge to see a robot. At most three tries; a try that was needed is noted in the report.
 */
async function dragAsPerson(page: Page) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    await humanDrag(page);
    const deadline = Date.now() + 20_000;
    let outcome = 'waiting';
    while (outcome === 'waiting' && Date.now() < deadline) {
      const text = (await status(page).textContent({ timeout: 500 }).catch(() => '')) ?? '';
      if (text.includes("Couldn't verify")) outcome = 'refused';
      else if (text.includes('Verified.') || /\/recover\/verify$/.test(page.url())) outcome = 'passed';
      else await page.waitForTimeout(100);
    }
    if (outcome !== 'refused') return;
    test.info().annotations.push({ type: 'retry', description: `drag ${attempt} refused; trying again` });
    await expect(handle(page)).toHaveAttribute('aria-valuenow', '0');
  }
}

test('a person drags the slider and goes on to "Verify now"', async ({ page }) => {
  await toTheSlider(page);
  await dragAsPerson(page);
  await expect(page).toHaveURL(/\/recover\/verify$/, { timeout: 20_000 });
  await expect(page.getByRole('button', { name: 'Verify now' })).toBeVisible();
});

test('a scripted straight drag is refused, then a person passes', async ({ page }) => {
  await toTheSlider(page);
  await straightDrag(page);
  await expect(status(page)).toHaveText("Couldn't verify, try again.", { timeout: 20_000 });
  await expect(page).toHaveURL(/\/recover\/check$/);
  // A fresh challenge: a real drag still works.
  await expect(handle(page)).toHaveAttribute('aria-valuenow', '0');
  await dragAsPerson(page);
  await expect(page).toHaveURL(/\/recover\/verify$/, { timeout: 20_000 });
});

test('synthetic events (dispatchEvent) are refused', async ({ page }) => {
  await toTheSlider(page);
  await page.evaluate(async () => {
    const h = document.querySelector('.slider__handle') as HTMLElement;
    const r = h.getBoundingClientRect();
    const track = (document.querySelector('.slider__track') as HTMLElement).getBoundingClientRect();
    const travel = track.width - r.width;
    const fire = (type: string, x: number, y: number) =>
      h.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: y, bubbles: true, pointerId: 7, pointerType: 'mouse' }));
    await new Promise((ok) => setTimeout(ok, 700));
    const x0 = r.left + r.width / 2;
    const y0 = r.top + r.height / 2;
    fire('pointerdown', x0, y0);
    for (let i = 1; i <= 50; i++) {
      const tau = i / 50;
      const s = 10 * tau ** 3 - 15 * tau ** 4 + 6 * tau ** 5;
      fire('pointermove', x0 + s * travel, y0 + Math.sin(i) * 3 + 4 * tau);
      await new Promise((ok) => setTimeout(ok, 12));
    }
    await new Promise((ok) => setTimeout(ok, 90));
    fire('pointerup', x0 + travel, y0);
  });
  await expect(status(page)).toHaveText("Couldn't verify, try again.", { timeout: 20_000 });
  await expect(page).toHaveURL(/\/recover\/check$/);
});

test('the keyboard alone passes (Tab to the slider, arrow keys, then Enter)', async ({ page }) => {
  await toTheSlider(page);
  await page.waitForTimeout(500);
  for (let i = 0; i < 10 && !(await handle(page).evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press('Tab');
  }
  await expect(handle(page)).toBeFocused();
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(40);
  }
  await expect(handle(page)).toHaveAttribute('aria-valuenow', '100');
  // At the end the status (a live region) says what confirms.
  await expect(status(page)).toHaveText('At the end. Press Enter to verify.');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/recover\/verify$/, { timeout: 15_000 });
});

test('after a refused keyboard answer, Enter alone sends nothing until the handle is at the end again', async ({ page }) => {
  await toTheSlider(page);
  const answers: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('recover_challenge_answer')) answers.push(r.url());
  });
  await handle(page).focus();
  // One key press is no person's answer: refused.
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await expect(status(page)).toHaveText("Couldn't verify, try again.", { timeout: 20_000 });
  expect(answers).toHaveLength(1);
  await expect(handle(page)).toHaveAttribute('aria-valuenow', '0');
  // The handle went back to the start: the keys pressed before are no answer any more.
  await page.keyboard.press('Enter');
  await page.waitForTimeout(1_000);
  expect(answers).toHaveLength(1);
  await expect(status(page)).toHaveText("Couldn't verify, try again.");
});

test('a single tap on the end of the track passes, by touch and by mouse', async ({ browser }) => {
  const touch = await browser.newContext({ hasTouch: true, baseURL: test.info().project.use.baseURL });
  const page = await touch.newPage();
  await toTheSlider(page);
  await page.waitForTimeout(500);
  const end = (await page.locator('.slider__end').boundingBox())!;
  await page.touchscreen.tap(end.x + end.width / 2, end.y + end.height / 2);
  await expect(page).toHaveURL(/\/recover\/verify$/, { timeout: 15_000 });
  await touch.close();

  const mouse = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const p2 = await mouse.newPage();
  await toTheSlider(p2);
  await p2.waitForTimeout(500);
  const g = await geometry(p2);
  const e2 = (await p2.locator('.slider__end').boundingBox())!;
  // A mouse shows how it got there.
  await p2.mouse.move(g.track.x + g.track.width / 2, g.y + 6);
  await p2.mouse.move(e2.x + e2.width / 2, e2.y + e2.height / 2, { steps: 12 });
  await p2.mouse.down();
  await p2.mouse.up();
  await expect(p2).toHaveURL(/\/recover\/verify$/, { timeout: 15_000 });
  await mouse.close();
});

/** A new account, five wrong passwords, then the right one: the sign-in page asks for the slider. */
async function toTheSignInSlider(page: Page, email: string) {
  await signUp(page, email);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  for (let i = 0; i < 5; i++) {
    await signIn(page, email, `Wrong${i}Password`);
    await expect(page.getByRole('alert')).toHaveText('Incorrect e-mail or password.');
  }
  await signIn(page, email, GOOD_PASSWORD);
}

test('sign-in after five wrong passwords asks for the slider first', async ({ page }) => {
  const email = freshEmail('gate');
  await toTheSignInSlider(page, email);
  await expect(page.getByRole('alert')).toHaveText('For your safety, slide to verify below, then sign in again.');
  await expect(handle(page)).toBeVisible();
  await dragAsPerson(page);
  await expect(status(page)).toHaveText('Verified.', { timeout: 20_000 });
  // The page came back from the server with the slider: the e-mail is kept, the password is
  // typed again (it is never stored).
  await expect(page.getByLabel('E-mail')).toHaveValue(email);
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  await page.getByLabel('Password', { exact: true }).fill(GOOD_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/account$/);
});

test('the sign-in slider waits for an e-mail typed after the page came back', async ({ page, browser }) => {
  const email = freshEmail('late');
  await toTheSignInSlider(page, email);
  await expect(handle(page)).toBeVisible();
  // The same page in a browser that kept nothing of the form: the e-mail field is still empty
  // when the slider first asks for its challenge (bound to the address), and filled in after.
  const context = await browser.newContext();
  const other = await context.newPage();
  await other.goto(page.url());
  await expect(handle(other)).toBeVisible();
  await expect(other.getByLabel('E-mail')).toHaveValue('');
  await other.waitForTimeout(1_000);
  await other.getByLabel('E-mail').fill(email);
  await dragAsPerson(other);
  await expect(status(other)).toHaveText('Verified.', { timeout: 20_000 });
  await context.close();
});

test('with SMS_POLICY=always the texted code finishes the journey', async ({ browser }) => {
  const email = freshEmail('always');
  const phone = `+4477008${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const page = await context.newPage();
  await signUp(page, email, GOOD_PASSWORD, phone);
  await page.goto('/recover');
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/recover\/check$/);
  await expect(handle(page)).toBeVisible();
  await dragAsPerson(page);
  await expect(page).toHaveURL(/\/recover\/verify$/, { timeout: 20_000 });
  await page.getByRole('button', { name: 'Verify now' }).click();
  await page.getByRole('button', { name: 'Send me a verification code' }).click();
  await page.getByLabel('Verification code').fill(await recoveryCode(page.request, email));
  await page.getByRole('button', { name: 'Submit' }).click();
  // Always: even this browser, which signed up, gets the SMS step.
  await expect(page).toHaveURL(/\/recover\/sms$/);
  await page.getByRole('button', { name: 'Send code by SMS' }).click();
  await page.getByLabel('Verification code').fill(await smsCode(page.request, phone));
  await page.getByRole('button', { name: 'Submit' }).click();
  await expect(page).toHaveURL(/\/recover\/password$/);
  await context.close();
});

test('after three failures the slider says when to try again and takes no answer', async ({ browser }) => {
  // The third server refuses a challenge after 3 failures (playwright.config.ts).
  const port = Number(process.env.E2E_PORT ?? 3100) + 2;
  const context = await browser.newContext({ baseURL: `http://127.0.0.1:${port}` });
  const page = await context.newPage();
  await toTheSlider(page);
  for (let i = 0; i < 2; i++) {
    await straightDrag(page);
    await expect(status(page)).toHaveText("Couldn't verify, try again.", { timeout: 20_000 });
    await expect(handle(page)).toHaveAttribute('aria-valuenow', '0');
  }
  await straightDrag(page);
  const refused = 'Too many attempts. Please try again in 15\u00a0min.';
  await expect(status(page)).toHaveText(refused, { timeout: 20_000 });
  await expect(handle(page)).toHaveAttribute('aria-disabled', 'true');
  // Neither the keyboard nor a drag sends anything: the status stays, the flow stays.
  await handle(page).focus();
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await humanDrag(page);
  await page.waitForTimeout(1_000);
  await expect(status(page)).toHaveText(refused);
  await expect(handle(page)).toHaveAttribute('aria-valuenow', '0');
  await expect(page).toHaveURL(/\/recover\/check$/);
  // Coming back later in the window changes nothing.
  await page.reload();
  await expect(status(page)).toHaveText(refused, { timeout: 20_000 });
  await expectAccessible(page, '/recover/check refused');
  await context.close();
});

test('the slider screen has no axe violations, idle and after a failure', async ({ page }) => {
  await toTheSlider(page);
  await expectAccessible(page, '/recover/check');
  await straightDrag(page);
  await expect(status(page)).toHaveText("Couldn't verify, try again.", { timeout: 20_000 });
  await expectAccessible(page, '/recover/check after a failure');
});
