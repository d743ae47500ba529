// The managers' page of capella-share-registry: everything through the JSON API,
// with the page's XSRF token on every write (the login cookie needs it).
'use strict';

const API = document.querySelector('meta[name="capella-share-api"]').content;
const XSRF = document.querySelector('meta[name="capella-share-xsrf"]').content;
const ROLES = ['read-only', 'read-write', 'manager'];

const $ = selector => document.querySelector(selector);
let current = null; // the project shown, as the API returned it

async function api(method, path, body) {
  const response = await fetch(API + path, {
    method,
    credentials: 'same-origin',
    headers: { 'X-XSRFToken': XSRF, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  });
  if (response.status === 204) {
    return null;
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(
      data.message || `${response.status} ${response.statusText}`
    );
  }
  return data;
}

const part = encodeURIComponent;

function say(message, isError = false) {
  const status = $('#status');
  status.textContent = message;
  status.classList.toggle('error', isError);
}

function cell(row, content) {
  const td = row.insertCell();
  if (content instanceof Node) {
    td.append(content);
  } else {
    td.textContent =
      content === null || content === undefined ? '' : String(content);
  }
  return td;
}

function button(label, onClick, options = {}) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  if (options.ariaLabel) {
    element.setAttribute('aria-label', options.ariaLabel);
  }
  if (options.danger) {
    element.className = 'danger';
  }
  element.addEventListener('click', onClick);
  return element;
}

async function attempt(action, success) {
  try {
    await action();
    if (success) {
      say(success);
    }
  } catch (error) {
    say(error.message, true);
  }
}

async function loadProjects() {
  const [me, listing] = await Promise.all([
    api('GET', 'me'),
    api('GET', 'projects')
  ]);
  $('#create-project').hidden = !me.may_create_projects;
  const body = $('#projects tbody');
  body.replaceChildren();
  for (const project of listing.projects) {
    const row = body.insertRow();
    const open = button(project.name, () => showProject(project.slug, true));
    if (current && current.slug === project.slug) {
      open.setAttribute('aria-current', 'true');
    }
    cell(row, open);
    cell(row, project.role || (me.admin ? 'hub admin' : ''));
    cell(row, project.shares);
  }
  $('#no-projects').hidden = listing.projects.length > 0;
}

function renderMembers(project) {
  const body = $('#members tbody');
  body.replaceChildren();
  for (const member of project.members) {
    const row = body.insertRow();
    cell(row, member.name);
    cell(row, member.kind);
    if (project.may_manage) {
      const select = document.createElement('select');
      select.setAttribute(
        'aria-label',
        `Role of ${member.kind} ${member.name}`
      );
      for (const role of ROLES) {
        select.add(new Option(role, role, false, role === member.role));
      }
      select.addEventListener('change', () =>
        attempt(
          () => saveMember(member.kind, member.name, select.value),
          `${member.name} is now ${select.value}.`
        ).then(() => showProject(project.slug))
      );
      cell(row, select);
      const remove = button('Remove', () => removeMember(member), {
        ariaLabel: `Remove ${member.kind} ${member.name}`
      });
      cell(row, remove).className = 'manage';
    } else {
      cell(row, member.role);
    }
  }
}

function renderShares(project) {
  const body = $('#shares tbody');
  body.replaceChildren();
  for (const share of project.shares) {
    const row = body.insertRow();
    cell(row, share.name);
    cell(row, `${share.project}/${share.model}`);
    cell(row, share.created);
    if (project.may_manage) {
      const remove = button('Delete…', () => confirmDelete(share), {
        ariaLabel: `Delete the share ${share.name}`,
        danger: true
      });
      cell(row, remove).className = 'manage';
    }
  }
}

async function renderAudit(project) {
  const body = $('#audit tbody');
  body.replaceChildren();
  if (!project.may_manage) {
    return;
  }
  const audit = await api(
    'GET',
    `audit?project=${part(project.slug)}&limit=50`
  );
  for (const entry of audit.entries) {
    const row = body.insertRow();
    cell(row, entry.at);
    cell(row, entry.actor);
    cell(row, entry.action);
    cell(row, entry.target);
    const detail = Object.entries(entry.detail)
      .map(([key, value]) => `${key}: ${value}`)
      .join(', ');
    cell(row, detail);
  }
}

async function showProject(slug, focus = false) {
  await attempt(async () => {
    const project = await api('GET', `projects/${part(slug)}`);
    current = project;
    history.replaceState(null, '', `#${slug}`);
    $('#project').hidden = false;
    $('#project-title').textContent = project.name;
    $('#project-role').textContent = project.role
      ? `Your role: ${project.role}.`
      : 'You see this project as a hub admin.';
    for (const element of document.querySelectorAll('#project .manage')) {
      element.hidden = !project.may_manage;
    }
    renderMembers(project);
    renderShares(project);
    await renderAudit(project);
    if (focus) {
      $('#project-title').focus();
    }
  });
}

function saveMember(kind, name, role) {
  return api(
    'PUT',
    `projects/${part(current.slug)}/members/${part(kind)}/${part(name)}`,
    {
      role
    }
  );
}

async function removeMember(member) {
  await attempt(
    () =>
      api(
        'DELETE',
        `projects/${part(current.slug)}/members/${part(member.kind)}/${part(member.name)}`
      ),
    `${member.name} is no longer a member.`
  );
  await showProject(current.slug);
}

function confirmDelete(share) {
  const dialog = $('#confirm-delete');
  const key = `${share.project}/${share.model}`;
  const input = $('#confirm-input');
  $('#confirm-text').textContent =
    `Deleting ${share.name} removes all its files, for every member of ${current.name}. ` +
    'It cannot be undone.';
  $('#confirm-key').textContent = key;
  input.value = '';
  $('#confirm-ok').disabled = true;
  input.oninput = () => {
    $('#confirm-ok').disabled = input.value !== key;
  };
  $('#confirm-form').onsubmit = async event => {
    event.preventDefault();
    dialog.close();
    await attempt(async () => {
      const removed = await api(
        'DELETE',
        `projects/${part(share.project)}/shares/${part(share.model)}`,
        { confirm: input.value }
      );
      const files =
        removed.deleted_files === null
          ? ''
          : ` (${removed.deleted_files} files)`;
      say(`${key} is deleted${files}.`);
    });
    await showProject(current.slug);
    await loadProjects();
  };
  dialog.showModal();
  input.focus();
}

function formValue(selector) {
  return $(selector).value.trim();
}

function setUp() {
  $('#confirm-cancel').addEventListener('click', () =>
    $('#confirm-delete').close()
  );
  $('#create-project').addEventListener('submit', async event => {
    event.preventDefault();
    await attempt(async () => {
      const project = await api('POST', 'projects', {
        name: formValue('#project-name')
      });
      $('#project-name').value = '';
      await loadProjects();
      await showProject(project.slug, true);
      say(`${project.name} is created; you are its manager.`);
    });
  });
  $('#add-member').addEventListener('submit', async event => {
    event.preventDefault();
    const name = formValue('#member-name');
    await attempt(async () => {
      const member = await saveMember(
        $('#member-kind').value,
        name,
        $('#member-role').value
      );
      $('#member-name').value = '';
      say(`${member.name} is ${member.role}.`);
    });
    await showProject(current.slug);
  });
  $('#add-share').addEventListener('submit', async event => {
    event.preventDefault();
    await attempt(async () => {
      const share = await api('POST', `projects/${part(current.slug)}/shares`, {
        model: formValue('#model-name')
      });
      $('#model-name').value = '';
      say(`The share ${share.project}/${share.model} is created.`);
    });
    await showProject(current.slug);
    await loadProjects();
  });
}

setUp();
attempt(async () => {
  await loadProjects();
  const slug = decodeURIComponent(location.hash.slice(1));
  if (slug) {
    await showProject(slug);
  }
});
