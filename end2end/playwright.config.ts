import { defineConfig } from '@playwright/test';
import * as path from 'node:path';

// The release server is started by Playwright itself, on a fresh database that
// scripts/e2e.sh created for this run, and is ready once /healthz answers.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// A second server with the slider and the SMS step always on (SLIDER_POLICY=always,
// SMS_POLICY=always) for the slider tests; the main one has the slider off and SMS on `risk`.
const sliderPort = port + 1;
const sliderURL = `http://127.0.0.1:${sliderPort}`;
const root = path.resolve(__dirname, '..');
const serverBin = process.env.SERVER_BIN ?? path.join(root, 'target/release/server');
const databaseUrl = process.env.E2E_DATABASE_URL ?? 'sqlite://target/e2e/rekey.db';
const sliderDatabaseUrl = databaseUrl.replace(/rekey\.db$/, 'slider.db');
// A third like the second, where the slider gives no challenge after 3 failures
// (CHALLENGE_COOLDOWN_AFTER=3), for the one test of that refusal: every test runs from
// 127.0.0.1, so on a shared server it would refuse the other slider tests too.
const cooldownPort = port + 2;
const cooldownDatabaseUrl = databaseUrl.replace(/rekey\.db$/, 'cooldown.db');

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  // Gallery screenshots live in end2end/snapshots/ (`make snapshots` re-takes them). Up to 1%
  // of pixels may differ (anti-aliasing after a chromium update); a change of colour, spacing
  // or layout changes far more.
  expect: { timeout: 5_000, toHaveScreenshot: { maxDiffPixelRatio: 0.01, animations: 'disabled', caret: 'hide' } },
  snapshotPathTemplate: '{testDir}/../snapshots/{arg}{ext}',
  workers: 2,
  forbidOnly: true,
  reporter: [['list'], ['./summary-reporter.ts']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true }, testIgnore: /(slider|gallery)\.spec/ },
    // Every form must work as a plain HTML post before (or without) the WebAssembly.
    { name: 'no-js', use: { javaScriptEnabled: false }, grep: /@nojs/, testIgnore: /(slider|gallery)\.spec/ },
    { name: 'slider', use: { javaScriptEnabled: true, baseURL: sliderURL }, testMatch: /slider\.spec/ },
    // The screenshots load the machine (138 pages, axe on 92): they run after the others, so
    // the slider's timing-sensitive drags never share the CPU with them.
    {
      name: 'gallery',
      use: { javaScriptEnabled: true },
      testMatch: /gallery\.spec/,
      dependencies: ['hydrated', 'no-js', 'slider'],
    },
  ],
  webServer: [
    server(port, databaseUrl, 'never'),
    server(sliderPort, sliderDatabaseUrl, 'always', 'always'),
    server(cooldownPort, cooldownDatabaseUrl, 'always', 'always', '3'),
  ],
});

/** The release server on `port`, on its own fresh database. */
function server(port: number, databaseUrl: string, sliderPolicy: string, smsPolicy = 'risk', cooldownAfter = '1000') {
  return {
    command: serverBin,
    cwd: root,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      REKEY_ENV: 'development',
      DATABASE_URL: databaseUrl,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: 'target/site',
      LEPTOS_SITE_PKG_DIR: 'pkg',
      LEPTOS_OUTPUT_NAME: 'rekey',
      LEPTOS_ENV: 'PROD',
      RUST_LOG: 'warn',
      // Every test runs from 127.0.0.1: lift the per-network limit, and shorten the resend
      // cool-down so the countdown can be watched to its end (60 s by default; the storage
      // tests check the default with a test clock).
      RECOVERY_PER_NETWORK: '10000',
      RESEND_COOLDOWN_SECONDS: '6',
      SLIDER_POLICY: sliderPolicy,
      SMS_POLICY: smsPolicy,
      // Every test shares 127.0.0.1, and the bot tests fail on purpose: keep the network's
      // harder tier and cool-down out of the way of the other tests (the storage tests check
      // the defaults, 2 and 5).
      CHALLENGE_HARDER_AFTER: '1000',
      CHALLENGE_COOLDOWN_AFTER: cooldownAfter,
    },
  };
}
