/** The dashboard in the browser: three views, routed by the URL. */
import 'uplot/dist/uPlot.min.css';
import './theme.css';
import './app.css';
import { render } from 'preact';
import { CompareView } from './compare-view.js';
import { Link, useLocation } from './router.js';
import { RunView } from './run-view.js';
import { RunsView } from './runs-view.js';

function App() {
  const { path, query } = useLocation();
  const run = /^\/run\/(.+)$/.exec(path);
  let runId: string | null = null;
  try {
    runId = run ? decodeURIComponent(run[1] as string) : null;
  } catch {
    // A malformed link: the runs view.
  }
  return (
    <>
      <header>
        <Link href="/" class="brand">
          evaltrack
        </Link>
        <nav aria-label="views">
          <Link href="/">Runs</Link>
        </nav>
      </header>
      <main>
        {runId !== null ? (
          <RunView runId={runId} query={query} />
        ) : path === '/compare' ? (
          <CompareView query={query} />
        ) : (
          <RunsView query={query} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
