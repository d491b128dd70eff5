import { createRoot } from 'react-dom/client';
import { App } from './App';
import './styles.css';
import './theme/theme.css';
import { initTheme } from './theme/theme';

// Before the first render, so the page is never drawn in the other theme first.
initTheme();
createRoot(document.getElementById('root')!).render(<App />);
