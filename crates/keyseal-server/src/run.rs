//! `init` (store, first signing key, first admin key) and `serve` (start-up check, background
//! tasks, HTTP, graceful shutdown).

use std::io::Write as _;
use std::sync::{Arc, Mutex, RwLock};

use keyseal::{KeyState, Keyring, Prefix, Timestamp};
use tokio::sync::{mpsc, watch};

use crate::cli::{InitArgs, ServeArgs};
use crate::error::{Error, Result};
use crate::issuing::{self, Plan};
use crate::metrics::Metrics;
use crate::model::{Actor, AuditEntry, KeyKind};
use crate::publisher::{self, Published};
use crate::service::{Service, Settings};
use crate::signing::{self, KeyFiles};
use crate::store::{Store, read};

fn prefix(s: &str, flag: &str) -> Result<Prefix> {
    Prefix::new(s).map_err(|e| Error::Setup(format!("{flag}: {e}")))
}

fn create_data_dir(dir: &std::path::Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| Error::Setup(format!("cannot create {}: {e}", dir.display())))
}

/// `keyseal-server init`
pub(crate) async fn init(args: InitArgs) -> Result<()> {
    let app_prefix = prefix(&args.prefix, "--prefix")?;
    let admin_prefix = prefix(
        &args
            .admin_prefix
            .unwrap_or_else(|| format!("{}_admin", args.prefix)),
        "--admin-prefix",
    )?;
    if admin_prefix == app_prefix {
        return Err(Error::Setup(
            "the admin prefix must differ from the app prefix".to_owned(),
        ));
    }
    create_data_dir(&args.data)?;
    let store = Store::open(&args.data, args.database.as_deref()).await?;
    {
        let mut conn = store.conn().await?;
        if read::service(&mut conn).await?.is_some() {
            return Err(Error::Setup("this store is already initialised".to_owned()));
        }
    }
    let keys = KeyFiles::new(&args.data, app_prefix.clone(), admin_prefix.clone());
    let loaded = keys.create()?;
    let now = Timestamp::now();
    let actor = Actor {
        name: "init".to_owned(),
        token_id: None,
        request_id: "init".to_owned(),
    };
    let record = signing::new_record(&loaded, KeyState::Active, now);
    let mut tx = store.write().await?;
    tx.init_service(app_prefix.as_str(), admin_prefix.as_str(), now)
        .await?;
    tx.insert_signing_key(&record).await?;
    tx.append_audit(&AuditEntry::new(
        &actor,
        "service.init",
        app_prefix.as_str(),
        serde_json::json!({ "admin_prefix": admin_prefix.as_str(), "signing_key_id": record.key_id.to_string() }),
    ))
    .await?;
    tx.commit().await?;
    let plan = Plan {
        kind: KeyKind::Admin,
        app_id: crate::auth::ADMIN_APP_ID.to_owned(),
        scopes: crate::auth::ALL_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        expires_at: issuing::expiry(
            Some(args.admin_lifetime.as_secs()),
            None,
            args.admin_lifetime,
            now,
        )?,
        not_before: None,
        name: Some("initial admin key".to_owned()),
        metadata: None,
    };
    let (issued, record) = issuing::issue(&store, &keys, &plan, &actor, now, None).await?;
    store.close().await;
    eprintln!(
        "initialised {} (prefix {}, admin prefix {}, signing key {}); admin key {} follows, shown once:",
        args.data.display(),
        app_prefix.as_str(),
        admin_prefix.as_str(),
        loaded.app.key_id(),
        record.token_id
    );
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", issued.as_str())
        .and_then(|()| out.flush())
        .map_err(|e| Error::Setup(format!("cannot print the admin key: {e}")))
}

/// `keyseal-server serve`
pub(crate) async fn serve(args: ServeArgs) -> Result<()> {
    let store = Store::open(&args.data, args.database.as_deref()).await?;
    let (app_prefix, admin_prefix) = {
        let mut conn = store.conn().await?;
        read::service(&mut conn).await?.ok_or_else(|| {
            Error::Setup("the store is not initialised: run `keyseal-server init` first".into())
        })?
    };
    let app_prefix = prefix(&app_prefix, "stored prefix")?;
    let admin_prefix = prefix(&admin_prefix, "stored admin prefix")?;
    if let Some(dir) = &args.publish_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Setup(format!("cannot create {}: {e}", dir.display())))?;
    }
    let settings = Settings {
        list_validity: args.list_validity,
        max_age: args.max_age,
        propagation_delay: args.propagation_delay,
        rotate_every: args.rotate_every,
        max_key_lifetime: args.max_key_lifetime,
        max_wait: args.max_wait,
        publish_dir: args.publish_dir.clone(),
    };
    let (changes, changes_rx) = mpsc::channel(4096);
    let service = Arc::new(Service {
        keys: KeyFiles::new(&args.data, app_prefix.clone(), admin_prefix.clone()),
        store: store.clone(),
        prefix: app_prefix,
        admin_prefix,
        settings,
        metrics: Metrics::default(),
        published: watch::channel(Arc::new(Published::none())).0,
        decoded: Mutex::new(None),
        keyring: RwLock::new(Arc::new(Keyring::new())),
        changes,
        stopping: watch::channel(false).0,
        leaks: crate::leaks::Leaks::new(&args.leaks)?,
    });
    service.refresh_keyring().await?;
    let publisher = tokio::spawn(publisher::run(Arc::clone(&service), changes_rx));
    crate::tasks::check_latest(&service).await?;

    let (stop, stopped) = watch::channel(false);
    let poller = tokio::spawn(crate::tasks::poll_store(
        Arc::clone(&service),
        stopped.clone(),
    ));
    let notifier = tokio::spawn(crate::leaks::webhook::run(
        Arc::clone(&service),
        stopped.clone(),
    ));
    let scheduler = tokio::spawn(crate::tasks::schedule(Arc::clone(&service), stopped));

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Error::Setup(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Setup(format!("no local address: {e}")))?;
    tracing::info!(%addr, backend = ?store.backend(), "keyseal-server listening");
    println!("listening on {addr}");
    let router = crate::routes::router(Arc::clone(&service));
    let stopping = Arc::clone(&service);
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: no new connections, answering held long polls");
            // Held long polls answer 304 now; other in-flight requests run to completion.
            stopping.stopping.send_replace(true);
        })
        .await
        .map_err(|e| Error::Setup(format!("server error: {e}")))?;
    tracing::info!("requests finished, stopping background work");
    let _ = stop.send(true);
    let _ = poller.await;
    let _ = scheduler.await;
    let _ = notifier.await;
    publisher.abort();
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
