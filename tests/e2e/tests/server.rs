//! The servers as operators see them: health, reflection (each port its own services),
//! graceful shutdown.

use std::time::Duration;

use saman_e2e::*;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

async fn health_of(addr: std::net::SocketAddr) -> anyhow::Result<i32> {
    let channel = tls_channel(addr).await?;
    let reply = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "saman.intake.v1.Intake".into(),
        })
        .await?;
    Ok(reply.into_inner().status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_not_serving_until_the_stream_exists_but_submissions_are_accepted_meanwhile()
-> anyhow::Result<()> {
    let db = TestDb::new(Backend::Sqlite).await?;
    let mut nats = NatsServer::start().await?;
    nats.stop().await?;
    let intake = Intake::start(db.url(), &nats).await?;

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        health_of(intake.addr).await?,
        ServingStatus::NotServing as i32
    );
    // Accepted while NATS is unreachable: the events wait in the outbox.
    register_programme(&mut intake.client().await?, 1, 1).await?;
    let stored = stored_events(db.url()).await?.len();

    nats.restart().await?;
    wait_serving(intake.addr).await?;
    let messages = published(&nats, stored as u64, Duration::from_secs(20)).await?;
    assert_eq!(messages.len(), stored);
    intake.stop().await
}

/// The services a port's reflection lists, asked through v1 and through v1alpha.
async fn reflected(addr: std::net::SocketAddr) -> anyhow::Result<[Vec<String>; 2]> {
    use tonic_reflection::pb::v1alpha;
    let channel = tls_channel(addr).await?;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = ServerReflectionClient::new(channel.clone())
        .server_reflection_info(tokio_stream_once(request))
        .await?
        .into_inner();
    let reply = replies.message().await?.expect("one reply");
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("not a service list: {reply:?}")
    };
    let mut v1: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    v1.sort();
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut replies = v1alpha::server_reflection_client::ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream_once(request))
        .await?
        .into_inner();
    let reply = replies.message().await?.expect("one reply");
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        reply.message_response
    else {
        panic!("not a service list: {reply:?}")
    };
    let mut v1alpha: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    v1alpha.sort();
    Ok([v1, v1alpha])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_port_reflects_what_it_serves_and_names_it_to_a_call_of_another_service()
-> anyhow::Result<()> {
    let system = System::start(Backend::Sqlite).await?;
    let infrastructure = [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ];
    for (addr, own) in [
        (system.intake.addr, vec!["saman.intake.v1.Intake"]),
        (
            system.projection.addr,
            vec![
                "saman.projection.v1.Projection",
                "saman.projection.v1.ProjectionAdmin",
            ],
        ),
    ] {
        let mut expected: Vec<String> = own
            .iter()
            .chain(&infrastructure)
            .map(|s| (*s).to_owned())
            .collect();
        expected.sort();
        let [v1, v1alpha] = reflected(addr).await?;
        assert_eq!(v1, expected, "{addr}: reflection v1");
        assert_eq!(v1alpha, expected, "{addr}: reflection v1alpha");
    }

    // A projection query sent to intake's port, and a submission to the projection's:
    // UNIMPLEMENTED, saying what the port serves.
    let wrong = connect_projection(system.intake.addr)
        .await?
        .list_zones(saman_proto::projection::v1::ListZonesRequest { read: None })
        .await
        .expect_err("intake does not answer the projection's queries");
    assert_eq!(wrong.code(), tonic::Code::Unimplemented, "{wrong:?}");
    assert_eq!(
        wrong.message(),
        "'saman.projection.v1.Projection' is not served on this port; it serves \
         saman.intake.v1.Intake (and health, reflection)"
    );
    let wrong = connect(system.projection.addr)
        .await?
        .register_zone(zone(1))
        .await
        .expect_err("the projection takes no submission");
    assert_eq!(wrong.code(), tonic::Code::Unimplemented, "{wrong:?}");
    assert!(
        wrong.message().starts_with(
            "'saman.intake.v1.Intake' is not served on this port; it serves \
             saman.projection.v1.Projection, saman.projection.v1.ProjectionAdmin"
        ),
        "{wrong:?}"
    );
    system.stop().await
}

fn tokio_stream_once<T: Send + 'static>(
    item: T,
) -> impl futures::Stream<Item = T> + Send + 'static {
    futures::stream::iter([item])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_submissions_finish_and_flushes_the_outbox() -> anyhow::Result<()> {
    let db = TestDb::new(Backend::Sqlite).await?;
    let nats = NatsServer::start().await?;
    let mut intake = IntakeProcess::start(db.url(), &nats, free_port()).await?;
    wait_serving(intake.addr).await?;
    let client = intake.client().await?;
    register_programme(&mut client.clone(), 2, 4).await?;

    // Four clients keep submitting while SIGTERM arrives.
    let load: Vec<_> = (1..=4)
        .map(|m| {
            let mut client = client.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0..200 {
                    let request = declare_need("zone-01", &format!("m-{m:03}"), &format!("n{i}"));
                    let id = request.submission.as_ref().unwrap().submission_id.clone();
                    match client.declare_need(request).await {
                        Ok(_) => acknowledged.push(id),
                        // Refused once shutdown began (GOAWAY, connection closed): the
                        // client would retry elsewhere with the same submission id.
                        Err(status) => {
                            assert!(
                                matches!(
                                    status.code(),
                                    tonic::Code::Unavailable
                                        | tonic::Code::Unknown
                                        | tonic::Code::Cancelled
                                        | tonic::Code::Internal
                                ) && !status.message().contains("submission"),
                                "{status:?}"
                            );
                            break;
                        }
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = intake.terminate(Duration::from_secs(15)).await?;
    assert!(status.success(), "intake exited with {status}");

    let mut acknowledged = Vec::new();
    for task in load {
        acknowledged.extend(task.await?);
    }
    assert!(!acknowledged.is_empty());
    // Every acknowledged submission is stored, and the relay flushed before exiting:
    // everything stored is on JetStream without another intake running.
    let stored = stored_events(db.url()).await?;
    let ids: std::collections::HashSet<String> =
        stored.iter().map(|e| e.submission_id.to_string()).collect();
    for id in &acknowledged {
        assert!(ids.contains(id), "acknowledged {id} is stored");
    }
    let messages = published(&nats, stored.len() as u64, Duration::from_secs(5)).await?;
    assert_eq!(
        messages.len(),
        stored.len(),
        "the outbox was flushed on shutdown"
    );
    assert_exactly_once_in_order(&messages);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_intake_promptly_even_while_nats_is_unreachable() -> anyhow::Result<()> {
    let db = TestDb::new(Backend::Sqlite).await?;
    let mut nats = NatsServer::start().await?;
    nats.stop().await?;
    let mut intake = IntakeProcess::start(db.url(), &nats, free_port()).await?;
    register_programme(&mut intake.client().await?, 1, 1).await?;
    let started = std::time::Instant::now();
    let status = intake.terminate(Duration::from_secs(20)).await?;
    assert!(status.success(), "intake exited with {status}");
    // The grace period (10 s by default) bounds the relay's last attempt; the exit
    // must not wait for NATS beyond it.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    // The submissions wait in the outbox for the next start.
    assert!(!stored_events(db.url()).await?.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comma_separated_nats_url_list_is_accepted() -> anyhow::Result<()> {
    let db = TestDb::new(Backend::Sqlite).await?;
    let nats = NatsServer::start().await?;
    let mut config = intake_config(db.url(), &nats);
    config.nats.url = format!("{}, {}", nats.url(), nats.url());
    let intake = Intake::start_with(config).await?;
    wait_serving(intake.addr).await?;
    intake.stop().await
}
