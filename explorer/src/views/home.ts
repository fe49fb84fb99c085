import { h, link, put } from '../dom';
import type { ViewContext } from '../view';
import { drawHotspots } from './hotspots';

export async function homeView(context: ViewContext): Promise<void> {
  document.title = 'traffikgraph explorer';
  if (!context.session) {
    context.main.dataset.view = 'public-hotspots';
    put(context.main, h('p', { class: 'lead' },
      'Intelligence shared by NGOs, police, banks and businesses against human trafficking. Partner staff sign in with their organisation\'s account.'));
    await drawHotspots(context, context.main);
    return;
  }
  context.main.dataset.view = 'home';
  const input = h('input', { id: 'home-search', name: 'q', type: 'search', required: true, autocomplete: 'off' });
  const form = h('form', { role: 'search' }, h('label', { for: 'home-search' }, 'Search the graph'), h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    context.navigate(`/search?${new URLSearchParams({ q: input.value.trim() })}`);
  });
  const offers = context.offers;
  put(context.main,
    h('h1', {}, `Welcome, ${context.session.subject}`),
    h('p', {}, `You act for ${context.session.partner}: you see what its sharing markings allow, and nothing else.`),
    offers('search') ? form : null,
    h('ul', { class: 'cards' },
      offers('search') ? h('li', {}, link('/search', h('strong', {}, 'Search')), h('p', {}, 'People, businesses, places, incidents, identifiers, routes and reports, with their markings.')) : null,
      h('li', {}, link('/hotspots', h('strong', {}, 'Hotspots')), h('p', {}, 'Where incidents happen, against the previous period, and the routes between countries.')),
      offers('supply-chain') ? h('li', {}, link('/supply-chain', h('strong', {}, 'Supply chains')), h('p', {}, "A business's suppliers tier by tier, with risk scores, reasons and evidence.")) : null,
      offers('audit') ? h('li', {}, link('/audit', h('strong', {}, 'Audit')), h('p', {}, 'Who saw what restricted data.')) : null),
  );
  context.ready();
}
