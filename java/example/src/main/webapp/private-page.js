// The protected page follows the card session in the browser: the session
// this browser has (the Cardbound JavaScript API keeps proving the card's
// presence while the page is open), and its end — a pulled card, a late
// proof, a logout in another tab — shown at once. The server has invalidated
// the HttpSession by then; a reload goes back to the front page.
import * as cardbound from '/cardbound.js';

const state = document.getElementById('state');
const logout = document.getElementById('logout');

function ended(text, reason) {
  state.textContent = text;
  state.className = 'card out';
  state.dataset.reason = reason;
  logout.hidden = true;
}

const session = await cardbound.currentSession().catch(() => null);
if (!session) {
  ended('You are not logged in.', 'no-session');
} else {
  session.addEventListener('sessionended', (e) => ended(e.detail.message, e.detail.reason));
  logout.addEventListener('click', () => session.logout().catch(() => {}));
  state.dataset.following = 'yes';
}
