import { h, link, notice, put } from '../dom';
import { entityTypes, humanize, label, labelFragment, type LabelledNode } from '../entities';
import { badge } from '../markings';
import type { ViewContext } from '../view';
import { refusal, signInFirst } from './common';

const searchQuery = `
query ExplorerSearch($query: String!, $types: [EntityType!]) {
  search(query: $query, types: $types, first: 20) { type score node { ...Label } }
}
${labelFragment}`;

interface SearchData {
  search: Array<{ type: string; score: number; node: LabelledNode }> | null;
}

export async function searchView(context: ViewContext): Promise<void> {
  document.title = 'Search · traffikgraph explorer';
  context.main.dataset.view = 'search';
  if (!context.session) return signInFirst(context, 'Search');
  const words = context.query.get('q') ?? '';
  const type = context.query.get('type') ?? '';
  const input = h('input', { id: 'search-words', name: 'q', type: 'search', value: words, required: true, autocomplete: 'off' });
  const select = h('select', { id: 'search-type', name: 'type' },
    h('option', { value: '' }, 'All types'),
    entityTypes.map((entityType) => h('option', { value: entityType, selected: entityType === type }, humanize(entityType))));
  const form = h('form', { class: 'search', role: 'search' },
    h('label', { for: 'search-words' }, 'Search people, businesses, places, incidents, identifiers, routes and reports'),
    h('div', { class: 'row' }, input, h('label', { for: 'search-type', class: 'visually-hidden' }, 'Type'), select, h('button', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ q: input.value.trim() });
    if (select.value) params.set('type', select.value);
    context.navigate(`/search?${params}`);
  });
  put(context.main, h('h1', {}, 'Search'), form);
  if (!words.trim()) {
    context.ready();
    return;
  }
  const answer = await context.api.query<SearchData>('ExplorerSearch', searchQuery, { query: words, types: type ? [type] : null });
  const hits = answer.data?.search;
  if (!hits) {
    put(context.main, refusal(answer, 'graph:read') ?? notice('error', 'No answer.'));
    context.ready();
    return;
  }
  const results = h('section', { 'aria-labelledby': 'results-heading' },
    h('h2', { id: 'results-heading' }, hits.length === 0 ? `Nothing visible to you matches “${words}”` : `${hits.length} results for “${words}”`),
    h('ol', { class: 'results' },
      hits.map((hit, i) => h('li', { class: 'result', 'data-id': hit.node.id },
        link(`/entity/${encodeURIComponent(hit.node.id)}`, label(hit.node, answer.redacted, `search[${i}].node`)),
        ' ',
        h('span', { class: 'type' }, humanize(hit.type)),
        hit.node.provenance ? [' ', badge(hit.node.provenance.tlp), h('span', { class: 'source' }, ` from ${hit.node.provenance.sourcePartner}`)] : null))),
  );
  put(context.main, results);
  context.ready();
}
