// The UI's entry: one control-plane client, a store per feature fed by the event stream, the shell.
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { isPopupRoute, Popup } from './approvals/Popup';
import { controlClient, subscribeEvents, type EventsState } from './client';
import { createStores, StoresContext } from './stores';
import './styles.css';

const stores = createStores(controlClient());

function Root() {
  const [connection, setConnection] = useState<EventsState>('connecting');
  useEffect(() => {
    stores.resync();
    void stores.keys.getState().refresh();
    let poll: ReturnType<typeof setInterval> | undefined;
    const stop = subscribeEvents(stores.dispatch, (state) => {
      setConnection(state);
      if (state === 'live') stores.resync();
      // Without an event stream, re-read what events would have kept current.
      if (state === 'polling' && !poll) poll = setInterval(() => stores.resync(), 3000);
      if (state === 'live' && poll) {
        clearInterval(poll);
        poll = undefined;
      }
    });
    return () => {
      stop();
      if (poll) clearInterval(poll);
    };
  }, []);
  return (
    <StoresContext.Provider value={stores}>
      {isPopupRoute(location.hash) ? <Popup /> : <App connection={connection} />}
    </StoresContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
