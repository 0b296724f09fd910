/** What a page renders with. */
export interface PageContext {
  /** The route's segments after the page's own (decoded). */
  readonly args: readonly string[]
  readonly query: URLSearchParams
  /** Shows a one-line message (an error in red) above the page. */
  notify(message: string, error?: boolean): void
  /** Runs `fn` when the reader leaves the page (to stop polling). */
  onLeave(fn: () => void): void
  /** Renders the current route again (after an action). */
  refresh(): void
}

/**
 * One page of the console, found by the first segment of the route
 * (`#/<route>/…`). A page with a `title` is in the navigation bar.
 */
export interface Page {
  readonly route: string
  readonly title?: string
  render(ctx: PageContext): Promise<Node>
}
