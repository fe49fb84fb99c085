import type { Answer } from '../api';
import { h, notice, put } from '../dom';
import type { ViewContext } from '../view';

// signInFirst explains that a view needs a signed-in user, and offers the sign-in.
export function signInFirst(context: ViewContext, what: string): void {
  const issuers = context.auth.config.issuers;
  put(context.main, 
    h('h1', {}, what),
    notice('info', `Sign in with your organisation's account to use ${what.toLowerCase()}. Anonymous visitors see the public hotspot map.`),
    issuers.length > 0
      ? h('button', { type: 'button', onclick: () => void context.auth.signIn(issuers[0], location.pathname + location.search) }, 'Sign in')
      : null,
  );
  context.ready();
}

// refusal shows why the API answered a view with errors instead of data: a missing scope is
// the API's rule, shown as such, not as a failure.
export function refusal(answer: Answer<unknown>, needs: string): HTMLElement | null {
  const error = answer.errors[0];
  if (!error) return null;
  switch (error.extensions?.code) {
    case 'FORBIDDEN':
      return notice('forbidden', `Your sign-in does not allow this view: it needs the ${needs} scope. (${error.message})`);
    case 'UNAUTHENTICATED':
      return notice('error', 'Your sign-in is no longer accepted: sign in again.');
    case 'LIMIT_EXCEEDED':
      return notice('error', `The service refused the request as too large: ${error.message}`);
    case 'NOT_FOUND':
      return notice('info', 'Nothing with this id is visible to you.');
    default:
      return notice('error', `The service answered: ${error.message}`);
  }
}
