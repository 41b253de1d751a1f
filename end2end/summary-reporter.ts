import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/** Prints one closing line, `N passed, N failed`, that CI reads. */
export default class SummaryReporter implements Reporter {
  private passed = 0;
  private failed = 0;
  private skipped = 0;

  onTestEnd(test: TestCase, result: TestResult) {
    // Count each test once, by its final outcome (a retry that passes counts as passed).
    if (result.retry < test.retries && result.status !== 'passed' && result.status !== 'skipped') return;
    if (result.status === 'passed') this.passed++;
    else if (result.status === 'skipped') this.skipped++;
    else this.failed++;
  }

  onEnd() {
    const skipped = this.skipped ? `, ${this.skipped} skipped` : '';
    console.log(`\nend2end: ${this.passed} passed, ${this.failed} failed${skipped}`);
  }

  printsToStdio() {
    return false;
  }
}
