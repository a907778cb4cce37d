"""Administration (administrators): accounts, clinic settings with their sources, backups, and verifying the audit
trail."""

import dataclasses

import pandas as pd
import streamlit as st

from core import audit, backup, clinic_settings, db, users
from core.access import ROLE_LABELS
from core.rules import settings
from core.rules.self_report import crisis_message
from core.rules.settings import DEFAULTS, DoseBand
from ui import forms
from ui.actions import act, done, show
from ui.frame import frame
from ui.labels import setting_value as shown
from ui.store import clinic
from ui.widgets import plain

ADMINS = users.ADMINS
user = frame("Administration", allow=ADMINS)
con = clinic().con
NEW, CHANGE, SETTING, UNLOCK = "admin_new_account", "admin_change_account", "admin_setting", "admin_unlock"
FIELDS = {f.name: f for f in dataclasses.fields(DEFAULTS)}


# Accounts


def add_account(con, user, token: str) -> None:
    form = forms.current(NEW, token)
    made = users.create_user(con, user, form.get("username") or "", form.get("name") or "", form.get("role") or "",
                             form.get("password") or "", again=form.get("again") or "")
    forms.close(NEW)
    done(NEW, f"Account {made.username} made ({ROLE_LABELS[made.role]}). Give the password in person.")


def change_role(con, user, token: str, account_id: int, seen: tuple[str, bool]) -> None:
    form = forms.current(CHANGE, token, account_id)
    if form.get("role") is None:
        raise ValueError("New role: choose one")
    users.set_role(con, user, account_id, form.get("role"), seen=seen)
    forms.close(CHANGE)
    done(CHANGE, "Role changed. It takes effect on the person's next click (they are signed out).")


def set_active(con, user, token: str, account_id: int, active: bool, seen: tuple[str, bool]) -> None:
    forms.current(CHANGE, token, account_id)
    users.set_active(con, user, account_id, active, seen=seen)
    forms.close(CHANGE)
    done(CHANGE, "Account activated." if active else "Account deactivated: signed out on the next click.")


def reset_password(con, user, token: str, account_id: int) -> None:
    form = forms.current(CHANGE, token, account_id)
    users.reset_password(con, user, account_id, form.get("password") or "")
    forms.close(CHANGE)
    done(CHANGE, "Password reset. Give it to the person in person.")


def unlock_account(con, user, account_id: int, label: str) -> None:
    users.unlock(con, user, account_id)
    done(UNLOCK, f"{label} is unlocked and can sign in now.")


def locked_section(locked: pd.DataFrame) -> None:
    """Who cannot sign in because of failed sign-ins, and until when, each with its own Unlock button (the button
    carries the account's id, so a list that changed since it was drawn cannot unlock someone else)."""
    st.subheader("Locked accounts")
    show(UNLOCK)
    if locked.empty:
        st.caption("No account is locked.")
        return
    st.caption("Five failed sign-ins in a row lock an account for 15 minutes. Unlock one only once you have checked "
               "with the person that the failures were theirs.")
    for row in locked.itertuples():
        label = f"{row.display_name} ({row.username})"
        text, button = st.columns([3, 1], vertical_alignment="center")
        text.markdown(f"{plain(label)}: locked after {row.failures} failed sign-ins; it opens by itself at "
                      f"{row.locked_until:%H:%M}.")
        button.button(f"Unlock {label}", key=f"unlock~{row.id}",
                      on_click=act(unlock_account, int(row.id), label, allow=ADMINS, slot=UNLOCK))


def accounts_tab() -> None:
    listed = users.accounts(con, user)
    locked = users.locked_accounts(con, user)
    until = dict(zip(locked["id"], locked["locked_until"], strict=True))
    st.dataframe(pd.DataFrame({
        "Username": listed["username"], "Name": listed["display_name"], "Role": listed["role"].map(ROLE_LABELS),
        "Active": listed["active"].map({True: "Yes", False: "No"}),
        "Locked": listed["id"].map(lambda i: f"until {until[i]:%H:%M}" if i in until else "No"),
        "Last sign-in": listed["last_sign_in"].map(lambda t: "-" if pd.isna(t) else f"{t:%d %b %Y, %H:%M}"),
    }), hide_index=True, width="stretch")
    locked_section(locked)

    st.subheader("Add an account")
    form = forms.opened(NEW)
    left, right = st.columns(2)
    left.text_input("Username", key=form.key("username"))
    right.text_input("Name shown on screen", key=form.key("name"))
    st.selectbox("Role", list(ROLE_LABELS), format_func=ROLE_LABELS.get, index=None, placeholder="Choose a role",
                 key=form.key("role"))
    left, right = st.columns(2)
    left.text_input("Password (at least 10 characters)", type="password", key=form.key("password"),
                    autocomplete="new-password")
    right.text_input("Password again", type="password", key=form.key("again"), autocomplete="new-password")
    show(NEW)
    st.button("Add the account", type="primary", on_click=act(add_account, form.token, allow=ADMINS, slot=NEW))

    st.subheader("Change an account")
    # The label holds only what never changes, so a change below cannot leave the browser showing an old one.
    names = dict(sorted(((int(r.id), f"{r.display_name} ({r.username})") for r in listed.itertuples()),
                        key=lambda pair: pair[1].lower()))
    account_id = st.selectbox("Account", list(names), format_func=names.get, index=None,
                              placeholder="Choose an account", key="admin_account")
    show(CHANGE)
    if account_id is None:
        return
    form = forms.instance(CHANGE, subject=account_id)
    chosen = listed.set_index("id").loc[account_id]
    active = bool(chosen["active"])
    seen = (chosen["role"], active)  # what this screen shows; a change made elsewhere since then is refused
    st.markdown(f"Role now: **{ROLE_LABELS[chosen['role']]}**. "
                + ("Active." if active else "Inactive: cannot sign in."))
    role, toggle = st.columns([3, 1], vertical_alignment="bottom")
    role.selectbox("New role", list(ROLE_LABELS), format_func=ROLE_LABELS.get, index=None,
                   placeholder="Choose a role", key=form.key("role"))
    toggle.button("Change the role", on_click=act(change_role, form.token, account_id, seen, allow=ADMINS, slot=CHANGE))
    password, reset = st.columns([3, 1], vertical_alignment="bottom")
    password.text_input("New password (at least 10 characters)", type="password", key=form.key("password"),
                        autocomplete="new-password")
    reset.button("Reset the password",
                 on_click=act(reset_password, form.token, account_id, allow=ADMINS, slot=CHANGE))
    st.button("Activate the account" if not active else "Deactivate the account",
              on_click=act(set_active, form.token, account_id, not active, seen, allow=ADMINS, slot=CHANGE))


# Clinic settings


def change_setting(con, user, token: str) -> None:
    form = forms.current(SETTING, token)
    name = form.get("name")
    signature = clinic_settings.Cosignature(form.get("cosigner") or "", form.get("cosigner_password") or "")
    form.set("cosigner_password", "")  # a signature never outlives the attempt it was typed for, refused or not
    value = clinic_settings.typed(name, number=form.get("value"), low=form.get("low"), high=form.get("high"),
                                  maximum=form.get("maximum"), numbers=form.get("values") or "",
                                  text=form.get("text") or "")
    before = getattr(clinic_settings.load(con), name)
    updated = clinic_settings.save(con, user, name, value, form.get("reason") or "", signature)
    settings.use(updated)
    forms.close(SETTING)
    done(SETTING, f"{DEFAULTS.label(name)}: {shown(before)} → {shown(value)}. Saved and in force now. "
                  f"Rules version {updated.rules_version}.")


def settings_tab() -> None:
    current = settings.current()
    changed = clinic_settings.overrides(con)
    unreadable = clinic_settings.unreadable(con)
    if unreadable:
        st.warning("Some stored settings could not be read, so their defaults are in force instead: "
                   + "; ".join(f"{DEFAULTS.label(name)} (stored as {plain(raw)[:40]!r}, default "
                               f"{shown(getattr(DEFAULTS, name))})" for name, raw in unreadable.items())
                   + ". Set each of them again below, with the reason.", icon=":material/warning:")
    st.caption(f"Rules version in force: {current.rules_version}. Every decision stores the version it was made under.")
    st.dataframe(pd.DataFrame([{
        "Setting": DEFAULTS.label(name), "In force": shown(getattr(current, name)),
        "Default": shown(getattr(DEFAULTS, name)), "Source": DEFAULTS.source(name),
        "Changed": (f"{changed[name][2]:%d %b %Y} by {changed[name][0]}: {changed[name][1]}"
                    if name in changed else "-"),
    } for name in FIELDS]), hide_index=True, width="stretch")
    st.subheader("Change a setting")
    form = forms.opened(SETTING)
    name = st.selectbox("Setting", list(FIELDS), format_func=DEFAULTS.label, index=None,
                        placeholder="Choose a setting", key=form.key("name"))
    if name is not None:
        default = getattr(DEFAULTS, name)
        st.caption(f"Source: {plain(DEFAULTS.source(name))}. In force: {shown(getattr(current, name))}."
                   + (f" Plausible range: between {DEFAULTS.range_words(name)}." if DEFAULTS.within(name) else ""))
        if isinstance(default, DoseBand):
            low, high, top = st.columns(3)
            low.number_input("Usual band from (mg/kg)", value=None, step=0.05, key=form.key("low"))
            high.number_input("Usual band to (mg/kg)", value=None, step=0.05, key=form.key("high"))
            top.number_input("Hard maximum (mg/kg)", value=None, step=0.05, key=form.key("maximum"))
        elif isinstance(default, tuple):
            st.text_input("New values, separated by commas", key=form.key("values"))
        elif isinstance(default, str):
            st.text_input("New value", key=form.key("text"))
            if name == "crisis_phone":
                st.markdown("What a patient reads at once when a self-report calls for it (with the number in force):")
                st.error(crisis_message(current), icon=":material/emergency:")
        else:
            # A float widget even for whole numbers: an int widget rounds 29.5 down unseen; typed() refuses it.
            st.number_input("New value", value=None, step=1.0 if isinstance(default, int) else 0.01,
                            format="%g", key=form.key("value"))
    st.text_input("Reason for the change (who decided, and why)", key=form.key("reason"))
    if name is not None and DEFAULTS.clinical(name):
        st.caption("A clinical threshold: a prescriber co-signs the change here with their own username and password.")
        left, right = st.columns(2)
        left.text_input("Prescriber's username", key=form.key("cosigner"))
        right.text_input("Prescriber's password", type="password", key=form.key("cosigner_password"),
                         autocomplete="off")
    show(SETTING)
    st.button("Save the setting", type="primary", on_click=act(change_setting, form.token, allow=ADMINS,
                                                                 slot=SETTING))


# Backups


def back_up(con, user) -> None:
    made = backup.make(con, backup.folder_for(db.configured_path()), user)
    done("backups", f"Backup written to {made}.")


def backups_tab() -> None:
    folder = backup.folder_for(db.configured_path())
    if backup.wanted():
        st.caption(f"Backups are written to {folder} once a day by the app, and whenever you click below; the newest "
                   f"{backup.KEEP} are kept. Restore with `python -m core.backup restore FOLDER --db NEW_FILE` "
                   f"(README).")
    else:
        st.warning(f"The daily automatic backup is switched off on this server (it was started with "
                   f"CLINIC_BACKUPS=0). Backups are written to {folder} only when you click below; the newest "
                   f"{backup.KEEP} are kept. Restart the app without that setting to back up every day.")
    st.caption(f"Each backup is encrypted and sealed with the key in {backup.key_file(folder)} (made by the first "
               f"backup). Keep a copy of that key apart from the backups: a backup cannot be restored without its "
               f"key, and anyone with both can read every patient.")
    with st.spinner("Writing the backup..."):
        st.button("Back up now", type="primary", icon=":material/backup:",
                  on_click=act(back_up, allow=ADMINS, slot="backups"))
    show("backups")
    made = backup.backups(folder)
    if not made:
        st.caption("No backup yet.")
        return
    st.dataframe(pd.DataFrame([{
        "Backup": p.name, "Sealed": "yes" if backup.sealed(p) else "no: plain, from before sealing; cannot be restored",
        "Files": sum(1 for f in p.iterdir() if f.is_file()),
        "Size (MB)": round(sum(f.stat().st_size for f in p.iterdir() if f.is_file()) / 1e6, 1),
    } for p in made]), hide_index=True, width="stretch")


# Audit trail

VERIFIED = "admin_audit_report"


def verify_trail(con, user) -> None:
    st.session_state[VERIFIED] = audit.verify(con, user).lines()


def audit_tab() -> None:
    st.caption("Checks the live audit trail against its key and head kept outside the database, and every signed "
               "screening, decision, dose and integration note against the seal recorded when it was signed "
               "(README: 'Backups, restore and the audit trail').")
    with st.spinner("Verifying the audit trail..."):
        st.button("Verify the audit trail", icon=":material/verified:",
                  on_click=act(verify_trail, allow=ADMINS, slot="audit"))
    show("audit")
    lines = st.session_state.pop(VERIFIED, None)
    if lines:
        (st.error if lines[0].startswith("Audit trail NOT") else st.success)(lines[0])
        for line in lines[1:]:
            st.text(line)


accounts, clinic_rules, copies, trail = st.tabs(["Accounts", "Clinic settings", "Backups", "Audit trail"])
with accounts:
    accounts_tab()
with clinic_rules:
    settings_tab()
with copies:
    backups_tab()
with trail:
    audit_tab()
