import type { Button } from '../input/buttons';
import type { Emulator } from '../services/emulator';

/** On-screen handheld pad for touch and mouse (pointer events; each button tracks its pointer). */
export function Pad({ emulator }: { emulator: Emulator }) {
  const key = (b: Button, label: string = b) => <PadButton key={b} button={b} label={label} emulator={emulator} />;
  return (
    <div className="pad" aria-label="Handheld buttons">
      <div className="pad-row">
        {key('L')}
        {key('POWER', 'Power')}
        {key('R')}
      </div>
      <div className="pad-row">
        <div className="dpad">
          <span />
          {key('UP', '▲')}
          <span />
          {key('LEFT', '◀')}
          <span />
          {key('RIGHT', '▶')}
          <span />
          {key('DOWN', '▼')}
          <span />
        </div>
        <div className="face">
          <span />
          {key('X')}
          <span />
          {key('Y')}
          <span />
          {key('A')}
          <span />
          {key('B')}
          <span />
        </div>
      </div>
      <div className="pad-row">
        {key('SELECT', 'Select')}
        {key('START', 'Start')}
      </div>
    </div>
  );
}

function PadButton({ button, label, emulator }: { button: Button; label: string; emulator: Emulator }) {
  const press = (e: React.PointerEvent<HTMLButtonElement>) => {
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    e.currentTarget.classList.add('held');
    emulator.button(button, true);
  };
  const release = (e: React.PointerEvent<HTMLButtonElement>) => {
    if (!e.currentTarget.classList.contains('held')) return;
    e.currentTarget.classList.remove('held');
    emulator.button(button, false);
  };
  return (
    <button
      type="button"
      className={`pad-button pad-${button.toLowerCase()}`}
      data-button={button}
      tabIndex={-1}
      // Pressing a pad button must not take focus from the screen.
      onMouseDown={(e) => e.preventDefault()}
      onPointerDown={press}
      onPointerUp={release}
      onPointerCancel={release}
      onLostPointerCapture={release}
      onContextMenu={(e) => e.preventDefault()}
    >
      {label}
    </button>
  );
}
