/** TanStack Virtual's virtualizer over the page's own scroll (what `useWindowVirtualizer` does). */
import { observeWindowOffset, observeWindowRect, windowScroll } from '@tanstack/virtual-core';
import type { Virtualizer, VirtualizerOptions } from '@tanstack/virtual-core';
import { useVirtualizerOf } from './use-virtualizer.js';

type Options = Omit<
  VirtualizerOptions<Window, HTMLTableRowElement>,
  'getScrollElement' | 'observeElementRect' | 'observeElementOffset' | 'scrollToFn'
>;

/**
 * A virtualizer of rows scrolled with the page; `scrollMargin` is where the first row is from
 * the page's top. The component renders again whenever the rows in view change.
 */
export function useWindowVirtualizer(options: Options): Virtualizer<Window, HTMLTableRowElement> {
  return useVirtualizerOf<Window, HTMLTableRowElement>({
    getScrollElement: () => window,
    observeElementRect: observeWindowRect,
    observeElementOffset: observeWindowOffset,
    scrollToFn: windowScroll,
    initialOffset: () => window.scrollY,
    ...options,
  });
}
