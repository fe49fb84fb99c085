// Mounts GraphiQL (the globals React, ReactDOM and GraphiQL come from the vendored UMD builds
// loaded before this file) against this service's /graphql endpoint. It is a file rather than an
// inline script so that the page's Content-Security-Policy can stay at script-src 'self'.
(function () {
  'use strict';

  // GraphiQL keeps tabs and query history in localStorage; the prefix keeps ours apart from any
  // other GraphiQL served on the same origin (behind a shared reverse proxy, say).
  var storagePrefix = 'traffikgraph:';
  var prefixedStorage = {
    getItem: function (key) { return localStorage.getItem(storagePrefix + key); },
    setItem: function (key, value) { localStorage.setItem(storagePrefix + key, value); },
    removeItem: function (key) { localStorage.removeItem(storagePrefix + key); },
    clear: function () {
      ownKeys().forEach(function (key) { localStorage.removeItem(storagePrefix + key); });
    },
    get length() { return ownKeys().length; },
  };
  function ownKeys() {
    return Object.keys(localStorage)
      .filter(function (key) { return key.indexOf(storagePrefix) === 0; })
      .map(function (key) { return key.slice(storagePrefix.length); });
  }

  var defaultQuery = [
    '# Paste your access token into the Headers pane below:',
    '#   {"Authorization": "Bearer <access token>"}',
    '# Without one, queries run as the anonymous caller.',
    '{',
    '  partners(first: 5) {',
    '    totalCount',
    '    edges {',
    '      node {',
    '        name',
    '      }',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');

  var fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', location.href).href });

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      // Headers hold bearer tokens: they stay in the tab's memory, never in localStorage.
      shouldPersistHeaders: false,
      storage: prefixedStorage,
      inputValueDeprecation: true,
    }),
  );
})();
