//! The activity chart: sections per month (or week) under the current
//! filter, topic and search, one bar per active actor in its colour (or
//! one bar in the chart colour when no actor is chosen). Reads the numbers
//! `update` computed; draws with ratatui's bar chart.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph};

use crate::action::Action;
use crate::app::App;
use crate::app::chart::{Series, Unit};
use crate::config::Role;
use crate::i18n::fill;

pub fn draw(app: &App, frame: &mut Frame<'_>, area: Rect) {
    let chart = &app.chart;
    let ui = &app.strings.ui;
    let [legend_area, chart_area, note_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    if chart.buckets.is_empty() {
        frame.render_widget(
            Paragraph::new(ui.chart_empty.as_str()).style(app.style(Role::Empty)),
            chart_area,
        );
        return;
    }
    // Legend: what a bar counts, as actor keys in their colours.
    let unit = match chart.unit {
        Some(Unit::Week) => &ui.chart_by_week,
        _ => &ui.chart_by_month,
    };
    let mut legend = vec![Span::styled(format!(" {unit}"), app.style(Role::Meta))];
    for series in &chart.series {
        if let Series::Actor(a) = series {
            let key = app
                .config()
                .keymap
                .keys(Action::ToggleActor(*a))
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            let name = app
                .config()
                .actors
                .get(*a)
                .map_or("", |x| x.label(&app.edition.lang));
            legend.push(Span::styled(
                format!("  {key} {name}"),
                series_style(app, *series),
            ));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(legend)), legend_area);

    // Horizontal bars: a row per month (and per actor), so labels stay
    // whole in a narrow pane. When not all fit, the most recent are shown.
    let series = chart.series.len().max(1);
    let group_gap = usize::from(series > 1);
    let per_group = series + group_gap;
    let fits = (usize::from(chart_area.height) + group_gap) / per_group.max(1);
    let skip = chart.buckets.len().saturating_sub(fits.max(1));
    let mut widget = BarChart::default()
        .direction(Direction::Horizontal)
        .bar_width(1)
        .bar_gap(0)
        .group_gap(u16::try_from(group_gap).unwrap_or(0))
        .label_style(app.style(Role::Meta))
        .value_style(app.style(Role::Base));
    for bucket in chart.buckets.iter().skip(skip) {
        let bars: Vec<Bar<'_>> = bucket
            .counts
            .iter()
            .zip(&chart.series)
            .map(|(&count, &serie)| {
                // The actor's key beside the number tells bars apart without colour.
                let text = match serie {
                    Series::All => count.to_string(),
                    Series::Actor(a) => {
                        let key = app
                            .config()
                            .keymap
                            .keys(Action::ToggleActor(a))
                            .first()
                            .map(ToString::to_string)
                            .unwrap_or_default();
                        format!("{count} {key}")
                    }
                };
                let bar = Bar::default()
                    .value(count)
                    .style(series_style(app, serie))
                    .text_value(text);
                // The month's name on its first bar only.
                if serie == chart.series[0] {
                    bar.label(Line::from(bucket.label.clone()))
                } else {
                    bar.label(Line::from(""))
                }
            })
            .collect();
        widget = widget.data(BarGroup::default().bars(&bars));
    }
    frame.render_widget(widget, chart_area);
    if chart.year_only > 0 {
        let note = fill(
            &ui.chart_year_only,
            &[("count", &chart.year_only.to_string())],
        );
        frame.render_widget(
            Paragraph::new(format!(" {note}")).style(app.style(Role::Muted)),
            note_area,
        );
    }
}

fn series_style(app: &App, series: Series) -> Style {
    match series {
        Series::All => app.style(Role::Chart),
        Series::Actor(a) => app
            .config()
            .actors
            .get(a)
            .map_or_else(|| app.style(Role::Chart), |x| Style::new().fg(x.color)),
    }
}
