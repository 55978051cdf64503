/**
 * Our own small components over `@vscode/webview-ui-toolkit` 1.4.0. This is the ONLY module that imports the toolkit:
 * upstream archived it in January 2025, so a move to `@vscode-elements/elements` must touch this folder only.
 * Each factory builds DOM with createElement/textContent/attributes (never HTML strings) and returns a small
 * typed handle; the app never touches a toolkit element directly.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDivider,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

let registered = false;

/** Registers the toolkit's custom elements we use (once). */
export function registerComponents(): void {
  if (registered) {
    return;
  }
  registered = true;
  provideVSCodeDesignSystem().register(
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeTextField(),
    vsCodeButton(),
    vsCodeProgressRing(),
    vsCodeDivider(),
  );
}

/** The value-bearing part of a toolkit form control (FAST `Select` / `TextField`). */
interface ValueElement extends HTMLElement {
  value: string;
  disabled: boolean;
}

/** A labelled control: `element` is the wrapper to insert (label + control). */
export interface Control<T> {
  readonly element: HTMLElement;
  /** The toolkit element itself (carries the id). */
  readonly control: HTMLElement;
  /** Shows a value from the host; ignored while the user is editing this control. */
  setValue(value: T): void;
  setDisabled(disabled: boolean): void;
  setTitle(title: string): void;
}

export interface DropdownOption {
  value: string;
  label: string;
  /** Tooltip of the option. */
  title?: string;
}

export interface DropdownProps {
  id: string;
  label: string;
  options: readonly DropdownOption[];
  value: string;
  /** Called with a value that differs from the last one shown. */
  onChange: (value: string) => void;
}

function field(id: string, extraClass: string): HTMLDivElement {
  const wrap = document.createElement('div');
  wrap.className = `t2vid-field ${extraClass}`;
  wrap.dataset.field = id;
  return wrap;
}

const isEditing = (el: HTMLElement): boolean => el.matches(':focus-within');

/** A `<vscode-dropdown>` with a real `<label for>` (the dropdown is form-associated) and an aria-label. */
export function dropdown(props: DropdownProps): Control<string> {
  const wrap = field(props.id, 't2vid-field--dropdown');
  const label = document.createElement('label');
  label.htmlFor = props.id;
  label.className = 't2vid-field__label';
  label.textContent = props.label;

  const el = document.createElement('vscode-dropdown') as ValueElement;
  el.id = props.id;
  el.setAttribute('aria-label', props.label);
  el.setAttribute('position', 'below');
  for (const o of props.options) {
    const opt = document.createElement('vscode-option');
    opt.setAttribute('value', o.value);
    opt.textContent = o.label;
    if (o.title) {
      opt.title = o.title;
    }
    if (o.value === props.value) {
      opt.setAttribute('selected', '');
    }
    el.append(opt);
  }
  let current = props.value;
  el.addEventListener('change', () => {
    const next = el.value;
    if (next !== current && props.options.some((o) => o.value === next)) {
      current = next;
      props.onChange(next);
    }
  });
  wrap.append(label, el);
  return {
    element: wrap,
    control: el,
    setValue(value) {
      if (value === current && el.value === value) {
        return;
      }
      current = value;
      el.value = value;
    },
    setDisabled(disabled) {
      el.disabled = disabled;
    },
    setTitle(title) {
      el.title = title;
    },
  };
}

export interface NumberFieldProps {
  id: string;
  label: string;
  value: number;
  min: number;
  max: number;
  /** An extra check (e.g. the protocol's setting check); the value is already an integer in [min, max]. */
  isValid?: (value: number) => boolean;
  /** Called on commit (Enter or blur) with a valid value that differs from the last one shown. */
  onChange: (value: number) => void;
}

/**
 * An integer `<vscode-text-field>`. The label is slotted into the field, which renders it as a `<label for>` of its
 * inner `<input>` and copies it to the host's aria-label. Validated on every keystroke; invalid input shows the
 * field's invalid state (aria-invalid + error text) and is never passed to onChange.
 */
export function numberField(props: NumberFieldProps): Control<number> {
  const wrap = field(props.id, 't2vid-field--number');
  const el = document.createElement('vscode-text-field') as ValueElement;
  el.id = props.id;
  el.setAttribute('inputmode', 'numeric');
  el.setAttribute('size', '6');
  el.textContent = props.label;
  el.setAttribute('value', String(props.value));

  const error = document.createElement('div');
  error.className = 't2vid-field__error';
  error.id = `${props.id}-error`;
  error.setAttribute('aria-live', 'polite');
  error.hidden = true;

  let current = props.value;

  const parse = (text: string): number | undefined => {
    const t = text.trim();
    if (!/^\d{1,9}$/.test(t)) {
      return undefined;
    }
    const n = Number(t);
    return n >= props.min && n <= props.max && (props.isValid?.(n) ?? true) ? n : undefined;
  };
  const showInvalid = (invalid: boolean): void => {
    el.classList.toggle('t2vid-invalid', invalid);
    el.setAttribute('aria-invalid', String(invalid));
    error.hidden = !invalid;
    error.textContent = invalid ? `Enter a whole number from ${props.min} to ${props.max}.` : '';
  };

  el.addEventListener('input', () => {
    showInvalid(parse(el.value) === undefined);
  });
  el.addEventListener('change', () => {
    const n = parse(el.value);
    showInvalid(n === undefined);
    if (n !== undefined && n !== current) {
      current = n;
      props.onChange(n);
    }
  });
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      el.value = String(current);
      showInvalid(false);
    }
  });
  wrap.append(el, error);
  return {
    element: wrap,
    control: el,
    setValue(value) {
      // Never overwrite what the user is typing; a later state repaints it.
      if (isEditing(el) && el.value.trim() !== String(value)) {
        return;
      }
      current = value;
      if (el.value !== String(value)) {
        el.value = String(value);
      }
      showInvalid(false);
    },
    setDisabled(disabled) {
      el.disabled = disabled;
    },
    setTitle(title) {
      el.title = title;
    },
  };
}

export interface ButtonProps {
  label: string;
  appearance?: 'primary' | 'secondary' | 'icon';
  title?: string;
  id?: string;
  onClick: () => void;
}

export interface ButtonHandle {
  readonly element: HTMLElement;
  setDisabled(disabled: boolean): void;
}

/** A `<vscode-button>`; its text is its accessible name. */
export function button(props: ButtonProps): ButtonHandle {
  const el = document.createElement('vscode-button') as HTMLElement & { disabled: boolean };
  el.setAttribute('appearance', props.appearance ?? 'primary');
  el.textContent = props.label;
  if (props.id) {
    el.id = props.id;
  }
  if (props.title) {
    el.title = props.title;
  }
  el.addEventListener('click', () => {
    if (!el.disabled) {
      props.onClick();
    }
  });
  return {
    element: el,
    setDisabled(disabled) {
      el.disabled = disabled;
      el.toggleAttribute('disabled', disabled);
    },
  };
}

/**
 * A small `<vscode-progress-ring>` with a visible text (e.g. "rendering…") in a `role=status` wrapper. The ring
 * itself is hidden from assistive technology: the toolkit makes it an assertive alert, too loud for a state that
 * toggles on every keystroke.
 */
export function progressRing(text: string): HTMLElement {
  const wrap = document.createElement('span');
  wrap.className = 't2vid-progress';
  wrap.setAttribute('role', 'status');
  const ring = document.createElement('vscode-progress-ring');
  ring.setAttribute('aria-hidden', 'true');
  const label = document.createElement('span');
  label.className = 't2vid-progress__label';
  label.textContent = text;
  wrap.append(ring, label);
  return wrap;
}

/** A `<vscode-divider>` (role separator). */
export function divider(): HTMLElement {
  const el = document.createElement('vscode-divider');
  el.setAttribute('role', 'separator');
  return el;
}

export interface SearchFieldProps {
  id: string;
  label: string;
  placeholder: string;
  /** Called with the text after the user pauses typing for `delayMs` (default 200), and at once on Enter. */
  onSearch: (text: string) => void;
  delayMs?: number;
}

/** A `<vscode-text-field type="search">` whose label is slotted in (a `<label for>` of its inner input). */
export function searchField(props: SearchFieldProps): Control<string> {
  const wrap = field(props.id, 't2vid-field--search');
  const el = document.createElement('vscode-text-field') as ValueElement;
  el.id = props.id;
  el.setAttribute('type', 'search');
  el.setAttribute('placeholder', props.placeholder);
  el.textContent = props.label;
  let current = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fire = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (el.value !== current) {
      current = el.value;
      props.onSearch(current);
    }
  };
  el.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(fire, props.delayMs ?? 200);
  });
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      fire();
    }
  });
  wrap.append(el);
  return {
    element: wrap,
    control: el,
    setValue(value) {
      if (isEditing(el)) {
        return;
      }
      current = value;
      el.value = value;
    },
    setDisabled(disabled) {
      el.disabled = disabled;
    },
    setTitle(title) {
      el.title = title;
    },
  };
}
