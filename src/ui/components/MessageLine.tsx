import { useMachine } from '../state/machine-store';

/** The last failure, in one line. */
export function MessageLine() {
  const message = useMachine((v) => v.message);
  if (!message) return null;
  return (
    <div className="message" role="alert" data-testid="message">
      {message}
    </div>
  );
}
