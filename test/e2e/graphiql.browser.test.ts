// GraphiQL at /graphql in a real chromium with every request off loopback blocked: it renders from
// the installed packages alone, opens on callgate's example tabs, and runs them (HTTP and graphql-ws).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, validate } from 'graphql';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../../src/schema';
import { GRAPHIQL_EXAMPLES } from '../../src/server/graphiql';
import { buildTestApp, type TestApp } from '../helpers/app';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
// The page is ~9 MB of inlined GraphiQL and Monaco: on a loaded 2-core box loading and parsing it
// took 6 s and the first render 5 s more. These bound waits on conditions, they are not sleeps.
const RENDER_TIMEOUT_MS = 90_000;
const RESULT_TIMEOUT_MS = 30_000;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** blob: URLs (Monaco's workers) carry their page's origin; data: URLs never touch the network. */
function leavesLoopback(url: string): boolean {
  const u = new URL(url);
  if (u.protocol === 'data:') return false;
  return !LOOPBACK.has(new URL(u.protocol === 'blob:' ? u.pathname : url).hostname);
}

describe('GraphiQL examples', () => {
  it('are valid against the schema', () => {
    const schema = buildSchema();
    for (const tab of GRAPHIQL_EXAMPLES) {
      expect(validate(schema, parse(tab.query ?? '')).map((e) => e.message), tab.query ?? '').toEqual([]);
    }
  });
});

const hasChromium = existsSync(CHROMIUM);
const skip = !hasChromium && !process.env.CI;

describe.skipIf(skip)(`GraphiQL in chromium${skip ? ` (skipped: ${CHROMIUM} is missing; apt-get install -y chromium)` : ''}`, () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  /** Every request that tried to leave loopback, aborted. */
  const outside: string[] = [];

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing (CI is set, so this fails instead of skipping)`);
    t = await buildTestApp({
      services: `
services:
  - name: mock
    kind: mock
    operations:
      - name: echo
        mock: { latencyMs: [5, 20] }
`,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (!leavesLoopback(url)) return route.continue();
      outside.push(url);
      return route.abort('blockedbyclient');
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** The text of a Monaco editor under `selector`, with Monaco's non-breaking spaces made plain. */
  const editorText = (page: Page, selector: string) =>
    page.locator(`${selector} .view-lines`).first().innerText().then((s) => s.replace(/\u00a0/g, ' '));
  /** Waits until an editor under `selector` shows `needle`; a timeout says what it showed instead. */
  const waitForText = (page: Page, selector: string, needle: string, timeout: number) =>
    page
      .waitForFunction(
        ([sel, text]) =>
          [...document.querySelectorAll(`${sel} .view-lines`)].some((el) =>
            (el as HTMLElement).innerText.replace(/\u00a0/g, ' ').includes(text),
          ),
        [selector, needle] as const,
        { timeout },
      )
      .catch(async (err: Error) => {
        const shown = await editorText(page, selector).catch(() => '(no editor)');
        throw new Error(`${selector} did not show ${JSON.stringify(needle)} in ${timeout} ms: ${err.message}\nit shows:\n${shown}`);
      });
  /**
   * Selects a tab by its title. A DOM click, not a pointer click: GraphiQL's tabs are framer-motion
   * Reorder items, and in headless chromium they keep a stale translateX, so on pointerdown the tab
   * jumps back to its layout box, the pointerup lands on the tab list and no click reaches the tab.
   */
  const openTab = async (page: Page, title: string) => {
    await page.locator(`.graphiql-tab-button[title="${title}"]`).dispatchEvent('click');
    await page.locator(`.graphiql-tab-active .graphiql-tab-button[title="${title}"]`).waitFor({ timeout: RESULT_TIMEOUT_MS });
  };
  const QUERY_EDITOR = '.graphiql-query-editor';
  const VARIABLES_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden)';
  const RESPONSE = '.graphiql-response';

  it('renders offline with the callgate examples, runs CallService over HTTP and WatchJob over graphql-ws', async () => {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const sockets: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
    page.on('pageerror', (e) => void consoleErrors.push(e.message));
    page.on('websocket', (ws) => void sockets.push(ws.url()));
    // Requests the route may not see (favicon, workers) still show here.
    page.on('request', (r) => void (leavesLoopback(r.url()) && outside.push(r.url())));

    await page.goto(t.url, { timeout: RENDER_TIMEOUT_MS });
    expect(await page.title()).toBe('callgate');
    expect(await page.locator('link[rel=icon]').getAttribute('href')).toMatch(/^data:image\/svg\+xml,/);

    // The first tab is the callService example, the others follow it.
    await waitForText(page, QUERY_EDITOR, 'mutation CallService', RENDER_TIMEOUT_MS);
    const tabs = await page.locator('.graphiql-tab-button').allInnerTexts();
    expect(tabs[0]).toBe('CallService');
    expect(tabs).toEqual(expect.arrayContaining(['CallService', 'Refund', 'WatchJob', 'RecentJobs', 'AttemptLog', 'Services']));
    const callService = await editorText(page, QUERY_EDITOR);
    expect(callService).toContain('service: "mock"');
    expect(callService).toContain('operation: "echo"');

    const tabHolds: Record<string, string> = {
      Refund: 'operation: "refund"',
      WatchJob: 'jobUpdated(id: $id)',
      RecentJobs: 'jobs(first: 20)',
      AttemptLog: 'attemptLog(first: 20',
      Services: 'breaker { state',
    };
    for (const [tab, snippet] of Object.entries(tabHolds)) {
      await openTab(page, tab);
      await waitForText(page, QUERY_EDITOR, snippet, RESULT_TIMEOUT_MS);
    }

    // Run CallService with the play button: a job is enqueued and shown in the result pane.
    await openTab(page, 'CallService');
    await waitForText(page, QUERY_EDITOR, 'mutation CallService', RESULT_TIMEOUT_MS);
    // The cursor in the document first: after tab switches GraphiQL may still hold the operation
    // name of a tab seen before ("Cannot infer operation RecentJobs"); it takes the one under the cursor.
    await page.locator(`${QUERY_EDITOR} .view-line`).filter({ hasText: 'mutation CallService' }).first().click();
    await page.locator('.graphiql-execute-button').click();
    await waitForText(page, RESPONSE, '"CallServiceSuccess"', RESULT_TIMEOUT_MS);
    const response = await editorText(page, RESPONSE);
    const id = /"id": "([0-9a-f-]{36})"/.exec(response)?.[1];
    expect(id, response).toBeDefined();
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'graphiql.png') });
    expect((await t.waitForStatus(id!, ['SUCCEEDED'])).output).toEqual({ echo: { hello: 'world' } });

    // WatchJob with that id, over graphql-ws: the job's state at once (it has succeeded by now).
    await openTab(page, 'WatchJob');
    await waitForText(page, QUERY_EDITOR, 'subscription WatchJob', RESULT_TIMEOUT_MS);
    await page.locator(`${VARIABLES_EDITOR} .monaco-editor`).click();
    await page.keyboard.press('Control+A');
    // Monaco auto-closes the braces and quotes of inserted text too: drop what it added after the cursor.
    const variables = JSON.stringify({ id });
    await page.keyboard.insertText(variables);
    await page.keyboard.press('Control+Shift+End');
    await page.keyboard.press('Delete');
    await page.waitForFunction(
      ([sel, text]) => (document.querySelector(`${sel} .view-lines`) as HTMLElement | null)?.innerText.trim() === text,
      [VARIABLES_EDITOR, variables] as const,
      { timeout: RESULT_TIMEOUT_MS },
    );
    await page.locator('.graphiql-execute-button').click();
    await waitForText(page, RESPONSE, '"SUCCEEDED"', RESULT_TIMEOUT_MS);
    expect(await editorText(page, RESPONSE)).toContain(id);
    expect(sockets).toContain(t.wsUrl);
    await page.screenshot({ path: join(ARTIFACTS, 'graphiql-subscription.png') });

    expect(outside).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 240_000);
});
