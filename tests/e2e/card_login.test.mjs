// End to end without a browser: host + server + virtual card agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cardLogin } from './card_login.mjs';

test('a virtual-card login reaches the site, and pulling the card ends it within 2 s', async () => {
  const r = await cardLogin();
  assert.equal(r.beforeConfirm, 401, 'no access before confirm');
  assert.equal(r.me.status, 200);
  assert.equal(r.me.json.holder, 'Mari Card');
  assert.equal(r.presence, 204);
  assert.equal(r.tabReason, 'logout', 'the other tab hears of the logout');
  assert.equal(r.after, 401);
  assert.ok(r.pullToLogoutMs < 2000, `pull to logout took ${r.pullToLogoutMs} ms`);
  console.log(`pull-to-logout ${r.pullToLogoutMs.toFixed(0)} ms, login ${r.loginMs.toFixed(0)} ms`);
});
