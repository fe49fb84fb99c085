import type { Api } from './api';
import type { Auth, Session } from './auth';
import type { OfferedView } from './scopes';

// ViewContext is what a view gets: where to draw, the URL's parts, the caller and the API.
export interface ViewContext {
  main: HTMLElement;
  params: string[];
  query: URLSearchParams;
  session: Session | null;
  // offers says whether the caller's scopes open a view (see scopes.ts).
  offers: (view: OfferedView) => boolean;
  auth: Auth;
  api: Api;
  navigate: (href: string, replace?: boolean) => void;
  // ready marks the view drawn with its data: tests and the paint benchmark wait for it.
  ready: () => void;
}

export type View = (context: ViewContext) => Promise<void>;
